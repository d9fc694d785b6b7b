"""The engine imports nothing from Telegram, the database or the scheduler."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import sopbot.engine

FORBIDDEN = ("telegram", "sqlalchemy", "sqlmodel", "apscheduler", "alembic", "psycopg", "httpx")
ENGINE = Path(sopbot.engine.__file__).parent


def test_no_engine_module_imports_an_adapter_library() -> None:
    offenders = []
    for path in sorted(ENGINE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                root = name.split(".")[0]
                if root in FORBIDDEN or (root == "sopbot" and not name.startswith("sopbot.engine")):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_importing_the_engine_loads_no_adapter_library() -> None:
    modules = sorted(p.stem for p in ENGINE.glob("*.py") if p.stem != "__init__")
    code = (
        "import sys\n"
        + "".join(f"import sopbot.engine.{m}\n" for m in modules)
        + f"print(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
