"""`python -m tests.documents.corpus OUT` writes the corpus into OUT; `--truth` rewrites the
truth files from the specs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.documents.corpus import DOCUMENTS, TRUTH_FOLDER, generate, truth_text


def main(argv: list[str] | None = None) -> int:
    """Write the documents, or the truth files."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", nargs="?", type=Path, help="the folder to write the documents to")
    parser.add_argument("--truth", action="store_true", help="rewrite truth/*.yaml")
    args = parser.parse_args(argv)
    if args.truth:
        TRUTH_FOLDER.mkdir(exist_ok=True)
        for old in TRUTH_FOLDER.glob("*.yaml"):
            old.unlink()
        for document in DOCUMENTS:
            (TRUTH_FOLDER / document.truth_name).write_text(truth_text(document), encoding="utf-8")
        print(f"wrote {len(DOCUMENTS)} truth files to {TRUTH_FOLDER}", file=sys.stderr)
    if args.out is not None:
        written = generate(args.out)
        print(f"wrote {len(written)} documents to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
