"""`sopbot audit` and `sopbot documents`: checking that the audit trail was not edited or cut
short, and that the stored documents are the ones it recorded."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from sopbot.bot.settings import Settings
from sopbot.services.audit_verify import AuditVerification, verify_audit_trail
from sopbot.services.document_verify import DocumentVerification, verify_documents
from sopbot.storage.audit_anchor import read_anchor_file
from sopbot.storage.database import Database
from sopbot.storage.document_store import LocalDocumentStore
from sopbot.storage.migrate import current_revision, head_revision

EXIT_OK = 0
EXIT_PROBLEMS = 1


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `sopbot audit ...` and `sopbot documents ...`."""
    audit = commands.add_parser("audit", help="check the audit trail")
    sub = audit.add_subparsers(title="audit commands", metavar="AUDIT_COMMAND")
    audit.set_defaults(handler=lambda *_: _print_help(audit))
    verify = sub.add_parser(
        "verify",
        help="recompute every hash chain; exits non-zero when a row was edited or removed",
    )
    verify.add_argument(
        "--anchor",
        type=Path,
        metavar="FILE",
        help="also check the chains against the anchors in this file (SOPBOT_AUDIT_ANCHOR_FILE)",
    )
    verify.set_defaults(handler=_verify)

    documents = commands.add_parser("documents", help="check the stored documents")
    documents_sub = documents.add_subparsers(title="documents commands", metavar="DOC_COMMAND")
    documents.set_defaults(handler=lambda *_: _print_help(documents))
    documents_verify = documents_sub.add_parser(
        "verify",
        help="check every document's file against its SHA-256 and the audit trail; "
        "exits non-zero on any problem",
    )
    documents_verify.set_defaults(handler=_verify_documents)


def _print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return EXIT_OK


def _verify(args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO) -> int:
    anchor_file: Path | None = args.anchor
    if anchor_file is not None and not anchor_file.is_file():
        print(f"no anchor file {anchor_file}", file=err)
        return EXIT_PROBLEMS
    key = settings.checked_audit_key()
    database = Database(settings.database_url, audit_key=key)
    try:
        if not _migrated(database, err):
            return EXIT_PROBLEMS
        anchors = () if anchor_file is None else read_anchor_file(key, anchor_file)
        result = verify_audit_trail(database, anchors)
    finally:
        database.dispose()
    against = "" if anchor_file is None else f", against {result.anchors} anchor(s)"
    print_audit_result(result, out, against=against)
    return EXIT_OK if result.intact else EXIT_PROBLEMS


def print_audit_result(result: AuditVerification, out: TextIO, *, against: str = "") -> None:
    """Each problem the audit trail's check found, then its verdict in one line."""
    for problem in result.problems:
        print(problem, file=out)
    if not result.intact:
        print(
            f"audit trail NOT intact: {len(result.problems)} problem(s) "
            f"in {result.rows} rows in {result.chains} chains{against}",
            file=out,
        )
        return
    print(f"audit trail intact: {result.rows} rows in {result.chains} chains{against}", file=out)


def _verify_documents(
    args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO
) -> int:
    database = Database(settings.database_url, audit_key=settings.checked_audit_key())
    try:
        if not _migrated(database, err):
            return EXIT_PROBLEMS
        result = verify_documents(database, LocalDocumentStore(settings.documents_dir))
    finally:
        database.dispose()
    print_documents_result(result, out)
    return EXIT_OK if result.intact else EXIT_PROBLEMS


def print_documents_result(result: DocumentVerification, out: TextIO) -> None:
    """Each problem the document check found, then its verdict in one line."""
    for problem in result.problems:
        print(problem, file=out)
    if result.unaudited:
        print(
            f"{result.unaudited} document(s) attached before the audit trail recorded "
            "documents' hashes: checked against their rows only",
            file=out,
        )
    if not result.intact:
        print(
            f"documents NOT intact: {len(result.problems)} problem(s) "
            f"in {result.documents} documents",
            file=out,
        )
        return
    print(f"documents intact: {result.documents} documents", file=out)


def _migrated(database: Database, err: TextIO) -> bool:
    # Not migrated here: upgrading would link rows that nobody checked as if they were sound.
    current, head = current_revision(database), head_revision(database)
    if current != head:
        print(
            f"database at revision {current or 'none'}, not {head}: run `sopbot db upgrade` first",
            file=err,
        )
        return False
    return True
