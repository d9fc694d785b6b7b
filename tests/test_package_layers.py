"""The packages depend on each other one way: the composition root on everything, the pure
domain on nothing. A new import against the grain (a handler importing the composition root, a
store importing a service) fails here, before it becomes a cycle.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import sopbot

PACKAGE = Path(sopbot.__file__).parent

# What each package may import from sopbot (besides itself). `(root)` is sopbot/cli.py and
# sopbot/__main__.py: the command line, which starts the bot or the demo.
ALLOWED = {
    "engine": set(),
    "messaging": {"engine"},
    "documents": {"engine", "messaging"},
    "storage": {"engine", "messaging"},
    "services": {"engine", "messaging", "storage", "documents"},
    "delivery": {"engine", "messaging", "storage"},
    "handlers": {"engine", "messaging", "storage", "services", "delivery", "documents"},
    "bot": {"engine", "messaging", "storage", "services", "delivery", "handlers", "documents"},
    "emulator": {"delivery"},
    "demo": {
        "engine",
        "messaging",
        "storage",
        "services",
        "delivery",
        "handlers",
        "bot",
        "emulator",
        "documents",
    },
    "(root)": {
        "engine",
        "messaging",
        "storage",
        "services",
        "delivery",
        "handlers",
        "bot",
        "demo",
        "documents",
    },
}


def imports_between_packages() -> dict[str, set[str]]:
    """For each package, the other sopbot packages its modules import (at any depth)."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).parts
        package = parts[0] if len(parts) > 1 else "(root)"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                pieces = name.split(".")
                if pieces[0] != "sopbot" or len(pieces) < 2:
                    continue
                # A module at the top (sopbot.cli) belongs to the root, as its importer does.
                target = pieces[1] if (PACKAGE / pieces[1]).is_dir() else "(root)"
                if target != package:
                    found[package].add(target)
    return found


def test_every_package_imports_only_the_layers_below_it() -> None:
    found = imports_between_packages()
    against = {
        package: sorted(targets - ALLOWED.get(package, set()))
        for package, targets in found.items()
        if targets - ALLOWED.get(package, set())
    }
    assert against == {}


def test_the_layers_have_no_cycle() -> None:
    # The allowed graph itself must be acyclic, or the test above would allow a cycle.
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(package: str) -> None:
        assert package not in visiting, f"a cycle through {package}"
        if package in done:
            return
        visiting.add(package)
        for target in ALLOWED[package]:
            visit(target)
        visiting.discard(package)
        done.add(package)

    for package in ALLOWED:
        visit(package)
