"""`sopbot sop render ID [-o FILE.pdf|.docx|.png] [--dir DIR]`: an SOP drawn as the official
document (sopbot.documents.rendering) and written to a file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO

from sopbot.bot.settings import Settings
from sopbot.bot.sop_selection import report_unknown, select
from sopbot.documents.rendering import RENDERERS
from sopbot.engine.definition import SopDefinition
from sopbot.engine.library import load_paths

EXIT_OK = 0
EXIT_PROBLEMS = 1


def add_render_command(sop_commands: Any) -> None:
    """Register `sop render` under the `sop` subcommands."""
    render = sop_commands.add_parser(
        "render",
        help="draw an SOP as the official document (PDF, DOCX or PNG)",
        description="Draw an SOP as the Permenpan RB 35/2012 document: the identity page, "
        "then the procedure table with the flowchart in the Pelaksana columns.",
    )
    render.add_argument(
        "sop", metavar="ID_OR_PATH", help="an SOP id (as `sopbot sop list` shows it) or a file"
    )
    render.add_argument(
        "-o",
        "--output",
        type=Path,
        help="the file to write; its suffix chooses the format: "
        f"{', '.join(RENDERERS)} (default: <sop>.pdf in the current folder)",
    )
    render.add_argument(
        "--dir", type=Path, help="the folder of definitions that ids are looked up in"
    )
    render.set_defaults(handler=_sop_render)


def _sop_render(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    output: Path | None = args.output
    if output is not None and output.suffix.lower() not in RENDERERS:
        print(
            f"Cannot write '{output}': the file name must end in "
            f"{', '.join(RENDERERS)} (the format is taken from it).",
            file=err,
        )
        return EXIT_PROBLEMS
    if output is not None and not output.parent.is_dir():
        print(f"Cannot write '{output}': the folder '{output.parent}' does not exist.", file=err)
        return EXIT_PROBLEMS
    definition = _chosen(args.sop, args.dir or settings.definitions_dir(), err)
    if definition is None:
        return EXIT_PROBLEMS
    output = output or Path(f"{definition.id.rsplit('/', 1)[-1]}.pdf")
    output.write_bytes(RENDERERS[output.suffix.lower()](definition))
    print(f"{definition.id} written to {output}", file=out)
    return EXIT_OK


def _chosen(argument: str, root: Path, err: TextIO) -> SopDefinition | None:
    """The SOP named as `sop show` names it (sop_selection); None, with the reason on `err`,
    when there is none."""
    if Path(argument).is_dir():
        print(f"'{argument}' is a folder: name one SOP file or id.", file=err)
        return None
    selection = select([argument], root)
    report_unknown(selection, err)
    library = load_paths(selection.paths)
    for problem in library.errors:
        print(problem, file=err)
    return next(iter(library.definitions.values()), None)
