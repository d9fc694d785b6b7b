"""storage/ is the only package that speaks SQL (issue 17), as the engine is pure.

No module outside `sopbot/storage/` imports SQLAlchemy or SQLModel: services call the
repositories of `sopbot.storage` with a unit of work, handlers call services.
"""

from __future__ import annotations

import ast
from pathlib import Path

import sopbot

PACKAGE = Path(sopbot.__file__).parent
SQL_LIBRARIES = ("sqlalchemy", "sqlmodel")


def speaks_sql(path: Path) -> bool:
    """Whether a module imports an SQL library (at any depth of the file)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        if any(name.split(".")[0] in SQL_LIBRARIES for name in names):
            return True
    return False


def modules_speaking_sql_outside_storage() -> set[str]:
    return {
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.relative_to(PACKAGE).parts[0] != "storage" and speaks_sql(path)
    }


def test_no_module_outside_storage_speaks_sql() -> None:
    assert modules_speaking_sql_outside_storage() == set()
