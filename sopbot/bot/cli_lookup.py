"""What the agency commands of `sopbot` share: the exit codes, the database and the services
they open, finding the agency (or position) a command names and saying so when there is none,
the "did you mean" hint, and an invitation's link.

`sopbot.bot.admin_cli`, `position_cli`, `member_cli`, `acting_cli`, `operator_cli`,
`procedure_cli` and `roster_cli` use these, so that a missing agency is found and told the same
way in each.
"""

from __future__ import annotations

import argparse
from typing import TextIO, TypeAlias

from sopbot.bot.settings import Settings
from sopbot.engine.library import SopLibrary, load_library
from sopbot.engine.yaml_nodes import closest
from sopbot.services.archive import ArchiveService
from sopbot.services.monitoring import MonitoringService
from sopbot.services.procedures import ProcedureService
from sopbot.services.sop_catalog import SopCatalog
from sopbot.services.views import Views
from sopbot.storage import agencies
from sopbot.storage.agencies import Agency
from sopbot.storage.database import Database
from sopbot.storage.document_store import LocalDocumentStore
from sopbot.storage.migrate import upgrade

EXIT_OK = 0
EXIT_PROBLEMS = 1

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""The sub-commands of the `sopbot` parser."""

CREATE_AGENCY = "create it with `sopbot agency create`"


def open_database(settings: Settings) -> Database:
    """The settings' database, its schema upgraded to the newest revision."""
    database = Database(settings.database_url, audit_key=settings.checked_audit_key())
    upgrade(database)
    return database


def services(settings: Settings, *, sops: bool = False) -> tuple[Database, ProcedureService]:
    """The database and the procedures; with `sops`, every SOP an admin command may name
    (parsed from the folder and the catalog: only the commands that check an SOP or a role
    ask for it)."""
    database = open_database(settings)
    library = known_sops(database, settings) if sops else SopLibrary({}, ())
    return database, ProcedureService(database, library)


def monitoring(settings: Settings) -> MonitoringService:
    """The monitoring figures (`sopbot report`) over the settings' database, every SOP an
    admin command may name known (`known_sops`); its `database` is the one it reads."""
    _, procedures = services(settings, sops=True)
    return MonitoringService(procedures)


def archive(settings: Settings) -> tuple[Database, ArchiveService]:
    """The database and the archive (`procedure search`, `procedure export`): procedures are
    read with the SOP versions they ran, so no SOP folder is needed."""
    database, procedures = services(settings)
    documents = LocalDocumentStore(settings.documents_dir)
    return database, ArchiveService(Views(procedures), documents)


def known_sops(database: Database, settings: Settings) -> SopLibrary:
    """The SOPs an admin command may name: the folder's files as they are now (what the bot
    installs at its next start or `sopbot sop reload`), and the SOPs installed in the catalog
    without a file here (e.g. from Telegram)."""
    folder = load_library(settings.definitions_dir())
    installed = SopCatalog(database).current_definitions().definitions
    return SopLibrary(
        dict(sorted({**installed, **folder.definitions}.items())),
        folder.problems,
        folder.agencies,
    )


def agency_by_key(database: Database, key: str) -> Agency | None:
    """The agency with this key, if there is one."""
    with database.unit_of_work(read_only=True) as uow:
        return agencies.agency_by_key(uow, key)


def find_agency(
    database: Database, key: str, err: TextIO, *, how_to_create: bool = False
) -> Agency | None:
    """The agency with this key; None when there is none, told on `err` ("no agency KEY", and
    with `how_to_create` the command that creates it)."""
    agency = agency_by_key(database, key)
    if agency is None:
        print(
            f"no agency {key}; {CREATE_AGENCY}" if how_to_create else f"no agency {key}", file=err
        )
    return agency


def position_id_by_key(database: Database, agency_id: int, key: str) -> int | None:
    """The id of the agency's position with this key, if there is one."""
    with database.unit_of_work(read_only=True) as uow:
        position = agencies.position_by_key(uow, agency_id, key)
        return position.id if position else None


def member_position(
    args: argparse.Namespace, settings: Settings, err: TextIO
) -> tuple[ProcedureService, Agency, int] | None:
    """The services, the agency and the id of the position the command names (`args.agency`,
    `args.position`), or None, told on `err`."""
    database, procedures = services(settings)
    agency = agency_by_key(database, args.agency)
    found = position_id_by_key(database, agency.id, args.position) if agency else None
    if agency is None or found is None:
        print(f"no position {args.position} in agency {args.agency}", file=err)
        return None
    return procedures, agency, found


def hint(word: str, known: list[str], what: str) -> str:
    """ "did you mean ...?" when one of `known` is close to `word`, else the whole list."""
    close = closest(word, known)
    if close is not None:
        return f"did you mean '{close}'?"
    return f"{what}: {', '.join(known)}" if known else f"there are no {what}"


def invitation_link(settings: Settings, token: str, *, explain: bool = True) -> str:
    """The t.me link that opens the invitation; without the bot's username, the /start command
    to type (and, with `explain`, how to get a link instead)."""
    if settings.telegram_bot_username:
        return f"https://t.me/{settings.telegram_bot_username.lstrip('@')}?start={token}"
    if explain:
        return f"/start {token}   (set TELEGRAM_BOT_USERNAME to print a t.me link)"
    return f"/start {token}"
