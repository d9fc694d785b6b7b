"""What sopbot imports is declared, and the deployment lock file agrees with pyproject.toml."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
DECLARED = [Requirement(text) for text in PROJECT["dependencies"]]


def imported_modules(root: Path) -> set[str]:
    """The top-level modules the code under `root` imports (absolute imports only)."""
    found: set[str] = set()
    for file in root.rglob("*.py"):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_every_third_party_import_is_a_declared_dependency() -> None:
    """Coming in through another package's extra (tornado through PTB's) is not enough."""
    declared = {canonicalize_name(r.name) for r in DECLARED}
    providers = packages_distributions()
    third_party = imported_modules(REPO / "sopbot") - set(sys.stdlib_module_names) - {"sopbot"}
    undeclared = {
        module: providers.get(module, ["?"])
        for module in sorted(third_party)
        if not declared & {canonicalize_name(d) for d in providers.get(module, [])}
    }
    assert undeclared == {}


def test_the_lock_pins_every_dependency_with_hashes() -> None:
    text = (REPO / "requirements.lock").read_text(encoding="utf-8")
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    pins: dict[str, Version] = {}
    for entry in entries:
        requirement = Requirement(entry.split("\\", 1)[0].strip())
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", entry
        assert "--hash=sha256:" in entry, f"{requirement.name} has no hash"
        pins[canonicalize_name(requirement.name)] = Version(specifier.version)
    for requirement in DECLARED:
        pinned = pins.get(canonicalize_name(requirement.name))
        assert pinned is not None, f"{requirement.name} is not in requirements.lock"
        assert requirement.specifier.contains(pinned), (
            f"requirements.lock pins {requirement.name} {pinned}, outside {requirement.specifier}:"
            " regenerate it (README, Deployment)"
        )
