"""The `manyi` console script: Django's management commands behind one name,
with Manyi's own commands listed first in `manyi --help`."""

import os
import sys
from collections import defaultdict
from pathlib import Path

PROG = "manyi"
FEATURED = ("demo", "serve", "migrate", "createuser")
SUMMARIES = {"migrate": "Create or update the database tables (run it after every upgrade)."}


def _data_dir_option(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--data-dir" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--data-dir="):
            return arg.split("=", 1)[1]
    return None


def _summary(name: str, app: str) -> str:
    from django.core.management import load_command_class

    if name in SUMMARIES:
        return SUMMARIES[name]
    text = str(load_command_class(app, name).help or "").strip()
    return text.splitlines()[0] if text else ""


def help_text() -> str:
    from django.core.management import get_commands

    commands = get_commands()
    own = [n for n in FEATURED if n in commands]
    own += sorted(n for n, app in commands.items() if app.split(".")[0] == "manyi" and n not in own)
    width = max(len(n) for n in own) + 2
    lines = [
        f"Usage: {PROG} <command> [options]",
        f"Run `{PROG} help <command>` for a command's options.",
        "",
        "Manyi commands:",
        *(f"  {n.ljust(width)}{_summary(n, commands[n])}" for n in own),
        "",
        "Django commands:",
    ]
    by_app: dict[str, list[str]] = defaultdict(list)
    for name, app in commands.items():
        if name not in own:
            by_app["django" if app == "django.core" else app.rpartition(".")[2]].append(name)
    for app in sorted(by_app):
        lines.append(f"  [{app}]")
        lines += [f"    {n}" for n in sorted(by_app[app])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "manyi.settings")
    if args[:1] == ["demo"] and (data_dir := _data_dir_option(args)):
        # The settings read MANYI_DATA_DIR when they load, before the command runs.
        os.environ["MANYI_DATA_DIR"] = str(Path(data_dir).expanduser().resolve())
    if args[:2] == ["emotion", "train"]:
        # One BLAS thread, set before numpy loads: with several, sums came in
        # another order and the trained weights' last bits changed from run to run.
        for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(name, "1")
    if args in ([], ["help"], ["--help"], ["-h"]):
        import django

        django.setup()
        print(help_text())
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line([PROG, *args])
