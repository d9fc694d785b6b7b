"""`sopbot sop import FILE [-o OUT] [--agency KEY] [--lang id|en]`: an agency's SOP document
(.docx, digital .pdf, text, or a definition .yaml) to a draft definition and its review report.

Exit status: 0 when the draft is complete and valid, 1 when it still has values to decide or
other problems (the draft is written all the same), 2 when the document is refused.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TextIO

from sopbot.bot.settings import Settings
from sopbot.bot.sop_json import definition_as_json
from sopbot.documents.importing import ImportResult, import_document
from sopbot.messaging.catalog import Language
from sopbot.messaging.formatting import plain_text

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_REFUSED = 2


def add_import_command(sop_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `sopbot sop import`."""
    command = sop_commands.add_parser(
        "import",
        help="read an agency's SOP document (.docx, .pdf, text) into a draft definition",
        description="Read an SOP document into a draft definition and a review report. What "
        "the document cannot settle is marked '??' in the draft; `sopbot sop validate` refuses "
        "it, with file:line, until it is decided.",
    )
    command.add_argument("file", type=Path, metavar="FILE", help="the .docx, .pdf or text file")
    command.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="OUT",
        help="write the draft here: .yaml (the definition to finish) or .json (as `sop show "
        "--json`, for a complete draft); default: print the draft",
    )
    command.add_argument(
        "--agency",
        metavar="KEY",
        help="the agency folder the SOP is for (default: the output's folder name, or 'impor')",
    )
    command.add_argument(
        "--lang",
        choices=[language.value for language in Language],
        default=Language.ID.value,
        help="the language of the review report (default: id)",
    )
    command.set_defaults(handler=_import)


def _import(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    del settings
    output: Path | None = args.output
    if output is not None and output.suffix.lower() not in (".yaml", ".yml", ".json"):
        print(f"{output}: write the draft to a .yaml or a .json file", file=err)
        return EXIT_PROBLEMS
    if not args.file.is_file():
        print(f"{args.file}: no such file", file=err)
        return EXIT_PROBLEMS
    if output is not None and not output.parent.is_dir():
        print(f"{output.parent}: no such folder; create it first", file=err)
        return EXIT_PROBLEMS
    agency = args.agency or (output.parent.name if output is not None else None)
    shown = str(output.with_suffix(".yaml")) if output is not None else None
    result = import_document(args.file, agency_key=agency or None, shown_as=shown)
    language = Language(args.lang)
    if result.refusal is not None:
        print(f"{args.file}: {result.refusal.text(language)}", file=err)
        return EXIT_REFUSED
    _print_summary(args.file, result, language, err)
    if output is None:
        print(result.draft, file=out, end="")
    elif output.suffix.lower() == ".json":
        if result.definition is None:
            print(
                f"{output}: the draft is not complete yet, so there is no definition to write "
                "as JSON; write it as .yaml, decide the values marked '??', then use "
                "`sopbot sop show FILE --json`",
                file=err,
            )
            return EXIT_PROBLEMS
        payload = definition_as_json(result.definition)
        output.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", "utf-8")
        print(f"Wrote {output}", file=err)
    else:
        output.write_text(result.draft, encoding="utf-8")
        print(f"Wrote {output}", file=err)
    for problem in result.problems:
        print(problem, file=err)
    return EXIT_OK if not result.errors else EXIT_PROBLEMS


def _print_summary(file: Path, result: ImportResult, language: Language, err: TextIO) -> None:
    counts = result.counts
    if counts:
        print(
            f"{file} ({result.kind}): {counts['steps']} steps, {counts['roles']} roles, "
            f"{counts['decisions']} decisions; {counts['undecided']} value(s) to decide",
            file=err,
        )
    report = result.report.render(language, as_html=True)  # escaped, so plain_text reads it right
    if report:
        print(plain_text(report), file=err)
