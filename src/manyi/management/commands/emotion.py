import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

import manyi

# The shared data sits beside the repository (../shared/data/emotion).
DEFAULT_DATA = Path(manyi.__file__).resolve().parents[3] / "shared" / "data" / "emotion"


def _lines(texts: list[str]) -> list[str]:
    """The texts given, or one per line on stdin when none are."""
    if texts:
        return texts
    if sys.stdin.isatty():
        raise CommandError("Give a text, or pipe lines on stdin.")
    lines = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not lines:
        raise CommandError("No text on stdin.")
    return lines


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with each span in 「」, overlapping spans merged."""
    out, at = [], 0
    for start, end in sorted(spans):
        if start < at:
            continue
        out += [text[at:start], "「", text[start:end], "」"]
        at = end
    return "".join(out) + text[at:]


class Command(BaseCommand):
    help = "Read the emotion in customer text, review a draft reply, or retrain the emotion model."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{analyze,check-reply,train,rescore}")
        analyze = sub.add_parser("analyze", help="read polarity, emotion, intensity and escalation risk")
        analyze.add_argument("texts", nargs="*", help="texts to read; lines on stdin when none")
        analyze.add_argument("--jsonl", action="store_true", help="one JSON object a line, for machines")
        reply = sub.add_parser("check-reply", help="review an agent's draft answer to an upset customer")
        reply.add_argument("reply")
        reply.add_argument("--context", help="the customer's message the reply answers")
        reply.add_argument("--jsonl", action="store_true", help="the review as one JSON object")
        train = sub.add_parser("train", help="reproduce the shipped model from the shared data (needs the [train] extra)")
        train.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"the emotion data folder (default {DEFAULT_DATA})")
        train.add_argument("--out", type=Path, help="where to write the model (default: the shipped model file)")
        rescore = sub.add_parser("rescore", help="read again the stored readings of inbound interactions made by another model version")
        rescore.add_argument("--all", dest="rescore_all", action="store_true", help="read every inbound interaction again, not only missing or stale readings")
        rescore.add_argument("--batch-size", type=int, default=500, help="interactions read and written together (default 500)")

    def handle(self, *args, action: str, **options):
        getattr(self, "_" + action.replace("-", "_"))(**options)

    def _analyze(self, *, texts: list[str], jsonl: bool, **options):
        from manyi.emotion.engine import Engine

        engine = Engine.default()
        for reading in engine.analyze_many(_lines(texts)):
            if jsonl:
                self.stdout.write(json.dumps(reading.to_dict(), ensure_ascii=False))
                continue
            top = sorted(reading.emotions.items(), key=lambda item: -item[1])[:3]
            self.stdout.write(_marked(reading.text, [(e.start, e.end) for e in reading.evidence]) or "(no words to read)")
            self.stdout.write(
                f"  {reading.polarity} ({reading.polarity_score:+.2f}) · {reading.primary}"
                f" · intensity {reading.intensity:.2f} · escalation {reading.escalation}"
                f" · {'complaint' + (f' ({reading.cause})' if reading.cause else '') if reading.complaint else 'not a complaint'}"
            )
            self.stdout.write("  emotions: " + ", ".join(f"{name} {p:.2f}" for name, p in top))
            if reading.tags:
                self.stdout.write("  also: " + ", ".join(reading.tags))
            for item in reading.evidence:
                self.stdout.write(f"  「{item.text}」 → {item.points_to}")
            if reading.truncated:
                self.stdout.write(f"  (read the first {len(reading.text)} of {reading.length} characters)")

    def _check_reply(self, *, reply: str, context: str | None, jsonl: bool, **options):
        from manyi.emotion.engine import Engine

        if not reply.strip():
            raise CommandError("The reply is empty: give the draft answer to review.")
        engine = Engine.default()
        review = engine.check_reply(reply, context=engine.analyze(context) if context else None)
        if jsonl:
            self.stdout.write(json.dumps(review.to_dict(), ensure_ascii=False))
            return
        self.stdout.write(_marked(review.text, [(f.start, f.end) for f in review.findings]))
        for finding in review.findings:
            self.stdout.write(self.style.ERROR(f"  「{finding.text}」 {finding.kind}: {finding.why}"))
            self.stdout.write(f"    → {finding.better}")
        for item in review.missing:
            self.stdout.write(self.style.WARNING(f"  missing {item.kind}: {item.message}"))
        if review.ok and not review.missing:
            self.stdout.write(self.style.SUCCESS("  Nothing to change."))

    def _train(self, *, data: Path, out: Path | None, **options):
        try:
            from manyi.emotion import train
        except ImportError as exc:
            raise CommandError(f'Training needs scikit-learn: pip install -e ".[train]" ({exc})') from exc
        if not data.is_dir():
            raise CommandError(f"No emotion data at {data}: pass --data DIR.")
        from manyi.emotion.model import DEFAULT_PATH

        target = out or DEFAULT_PATH
        self.stdout.write(f"Training on {data} ...")
        figures = train.train(data, target)
        self.stdout.write(self.style.SUCCESS(f"Wrote {target}"))
        for name, value in figures.items():
            self.stdout.write(f"  {name}: {value}")

    def _rescore(self, *, rescore_all: bool, batch_size: int, **options):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        from manyi.emotion.engine import Engine
        from manyi.interactions.services import readings_rescore

        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        self.stdout.ending = ""  # rich writes whole lines itself
        console = Console(file=self.stdout, highlight=False)
        columns = (TextColumn("Reading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("rescore", total=None)
            done = readings_rescore(
                batch_size=batch_size, only_stale=not rescore_all, progress=lambda n, total: bar.update(task, completed=n, total=total)
            )
        console.print(f"Read {done} inbound interactions with model {Engine.default().version}.")
