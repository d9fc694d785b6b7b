"""`sopbot run` loads neither the Bot API emulator nor the demo: only `sopbot demo` and the
tests import them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sopbot

PACKAGE = Path(sopbot.__file__).parent
NOT_FOR_RUN = ("sopbot.emulator", "sopbot.demo")


def bot_modules() -> list[str]:
    """Every module of the packages a running bot is made of: all but the emulator and the
    demo, the `python -m sopbot` entry point (it runs the command line) and the migration
    scripts (Alembic runs them, they are not modules)."""
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[0] in ("emulator", "demo", "__main__") or "migrations" in parts:
            continue
        names.append(".".join(("sopbot", *(p for p in parts if p != "__init__"))))
    return names


def test_the_run_path_loads_neither_the_emulator_nor_the_demo() -> None:
    code = (
        "import contextlib, io, sys\n"
        + "".join(f"import {name}\n" for name in bot_modules())
        + "from sopbot.cli import main\n"
        # The command line as `sopbot run --help` builds and parses it.
        + "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        + "    main(['run', '--help'])\n"
        + f"print(sorted(m for m in sys.modules if m.startswith({NOT_FOR_RUN!r})))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
