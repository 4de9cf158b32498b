"""The emotion engine against its goals (issue 3), with SnowNLP on the same
texts in the same run as the baseline.

    pip install -e ".[bench]"          # SnowNLP, the baseline
    python bench/emotion.py            # all held-out splits, speed, memory
    python bench/emotion.py --quick    # 500 texts a data set

Accuracy is measured through Engine.analyze_many on the held-out part of each
data set (train.load_splits: never trained on), the way the CRM reads text:
polarity is the sign of polarity_score; an emotion is the most probable of
the data set's own classes. SnowNLP scores polarity only, and Chinese only.
Speed is measured on one core (the process is pinned to one CPU, BLAS to one
thread) on held-out texts of 40–80 characters.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from manyi.emotion.engine import Engine
from manyi.emotion.model import Model
from manyi.emotion.train import DEFAULT_DATA_DIR, load_splits, macro_f1

GOALS = {  # data set: (figure, goal)
    "chnsenticorp": ("accuracy", 0.95),
    "chat": ("accuracy", 0.90),
    "smp_usual": ("macro_f1", 0.70),
    "goemotions_polarity": ("accuracy", 0.90),
    "goemotions_ekman": ("macro_f1", 0.60),
}
SPEED_GOALS = {"analyze_many": 5_000, "analyze": 1_000}
MEMORY_GOAL_MB = 300


def engine_guesses(engine: Engine, split, texts: list[str]) -> list[str]:
    readings = engine.analyze_many(texts)
    if split.head == "polarity":
        return ["positive" if r.polarity_score > 0 else "negative" for r in readings]
    return [max(split.labels, key=r.emotions.__getitem__) for r in readings]


def snownlp_guesses(texts: list[str]) -> list[str]:
    from snownlp import SnowNLP

    return ["positive" if SnowNLP(t).sentiments > 0.5 else "negative" for t in texts]


def timed(fn, *args) -> tuple[object, float]:
    start = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - start


def accuracy_table(engine: Engine, splits, quick: int | None, with_snownlp: bool) -> list[str]:
    lines = [
        "| data set | texts | figure | Manyi | goal | SnowNLP | Manyi ÷ SnowNLP (accuracy) | Manyi texts/s | SnowNLP texts/s | speed ratio |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, split in splits.items():
        if not split.valid_texts:
            continue
        pairs = list(zip(split.valid_texts, split.valid_labels, strict=True))
        if quick:
            pairs = random.Random(0).sample(pairs, min(quick, len(pairs)))
        texts, truth = [t for t, _ in pairs], [label for _, label in pairs]
        guess, seconds = timed(engine_guesses, engine, split, texts)
        figure, goal = GOALS.get(name, ("accuracy" if split.head == "polarity" else "macro_f1", None))
        ours = (
            sum(g == t for g, t in zip(guess, truth, strict=True)) / len(truth)
            if figure == "accuracy"
            else macro_f1(*(np.array([split.labels.index(label) for label in labels]) for labels in (truth, guess)), len(split.labels))
        )
        mark = "" if goal is None else (" ✓" if ours >= goal else " ✗")
        row = f"| {name} | {len(texts):,} | {figure} | {ours:.3f}{mark} | {goal or '–'} |"
        chinese = name not in ("goemotions_polarity", "goemotions_ekman")
        if with_snownlp and split.head == "polarity" and chinese:
            theirs_guess, theirs_seconds = timed(snownlp_guesses, texts)
            theirs = sum(g == t for g, t in zip(theirs_guess, truth, strict=True)) / len(truth)
            ours_rate, theirs_rate = len(texts) / seconds, len(texts) / theirs_seconds
            row += f" {theirs:.3f} | {ours / theirs:.2f}× | {ours_rate:,.0f} | {theirs_rate:,.0f} | {ours_rate / theirs_rate:,.0f}× |"
        else:
            row += f" – | – | {len(texts) / seconds:,.0f} | – | – |"
        lines.append(row)
    return lines


def speed_table(splits) -> list[str]:
    """Speed and memory measured in a fresh process that holds only the engine
    (like a worker), pinned to one core; each path's best of three runs."""
    pool = [t for s in splits.values() for t in s.valid_texts if 40 <= len(t) <= 80]
    texts = random.Random(1).sample(pool, min(5_000, len(pool)))
    mean_length = sum(map(len, texts)) / len(texts)
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as f:
        json.dump(texts, f, ensure_ascii=False)
    try:
        out = subprocess.run([sys.executable, __file__, "--worker", f.name], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(f.name)
    figures = json.loads(out.splitlines()[-1])
    lines = [
        f"Speed on one core, {len(texts):,} held-out texts of 40–80 characters (mean {mean_length:.0f}), in a process holding only the engine, best of three runs:",
        "",
        "| path | texts/s | µs a text | goal |",
        "|---|---:|---:|---:|",
    ]
    for path, label in (("analyze_many", "analyze_many (batches of 1,000)"), ("analyze", "analyze, one at a time"), ("predict", "model.predict alone, batched")):
        rate, goal = figures[path], SPEED_GOALS.get(path)
        mark = "" if goal is None else (" ✓" if rate >= goal else " ✗")
        lines.append(f"| {label} | {rate:,.0f}{mark} | {1e6 / rate:,.0f} | {f'{goal:,}' if goal else '–'} |")
    rss = figures["peak_mb"]
    mark = "✓" if rss < MEMORY_GOAL_MB else "✗"
    lines += ["", f"Peak resident memory of that process, after reading 10,000 texts in one call: {rss:,.0f} MB {mark} (goal < {MEMORY_GOAL_MB} MB)."]
    return lines


def worker(path: str) -> None:
    """The measuring process: prints one JSON line of figures."""
    engine = Engine.default()
    texts = json.loads(Path(path).read_text(encoding="utf-8"))
    engine.analyze_many(texts[:200])  # warm caches
    runs = {
        "analyze_many": lambda: [engine.analyze_many(texts[i : i + 1000]) for i in range(0, len(texts), 1000)],
        "analyze": lambda: [engine.analyze(t) for t in texts],
        "predict": lambda: [engine.model.predict(texts[i : i + 1000]) for i in range(0, len(texts), 1000)],
    }
    figures = {name: len(texts) / min(timed(run)[1] for _ in range(3)) for name, run in runs.items()}
    engine.analyze_many((texts * 2)[:10_000])
    figures["peak_mb"] = int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0]) / 1024
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--quick", type=int, nargs="?", const=500, help="at most this many texts a data set (default 500)")
    parser.add_argument("--no-snownlp", action="store_true", help="leave the baseline out")
    parser.add_argument("--write", type=Path, help="also write the tables to this Markdown file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
    if args.worker:
        worker(args.worker)
        return

    start = time.perf_counter()
    Model.load()
    load_seconds = time.perf_counter() - start
    engine = Engine.default()
    print(f"model {engine.version}: loaded in {load_seconds:.2f} s (goal < 1 s)", flush=True)
    splits = load_splits(args.data)
    lines = [f"Model {engine.version}, loaded in {load_seconds:.2f} s (goal < 1 s).", ""]
    lines += accuracy_table(engine, splits, args.quick, not args.no_snownlp)
    lines += [""] + speed_table(splits)
    print("\n".join(lines), flush=True)
    if args.write:
        command = "python bench/emotion.py " + " ".join(sys.argv[1:])
        args.write.write_text(f"# Emotion engine benchmark\n\n`{command.strip()}`\n\n" + "\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
