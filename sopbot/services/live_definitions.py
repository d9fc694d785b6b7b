"""The SOPs a running bot can start, seen live from the installed catalog.

Every reader of the definitions (starting a procedure, /mulai's list) asks this view. It keeps
the current definitions of one catalog generation and, at most once every `check_every`
seconds, reads the catalog's generation (one row by its key); only when that number changed
does it read the current versions again, and it parses only versions it has not seen. So an
install by `sopbot sop reload` in another process, or from Telegram, is seen within seconds
without a restart, while a procedure already running keeps its own version (it points at the
stored version it started with).

The agency files (instansi.yaml) loaded at start-up are kept for `zone_of`, which the demo
reads; the running bot reads an agency's zone from its database row, so an agency created
without a folder (from Telegram, or `sopbot agency create --timezone`) runs the same.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sopbot.engine.agency_file import AgencySettings
from sopbot.engine.definition import SopDefinition
from sopbot.services.sop_catalog import SopCatalog

DEFAULT_CHECK_SECONDS = 1.0

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Seen:
    """The definitions of one catalog generation, by id and by agency."""

    generation: int
    definitions: dict[str, SopDefinition]
    by_agency: dict[str, list[SopDefinition]] = field(default_factory=dict)


class LiveDefinitions:
    """A `DefinitionSource` over the catalog that follows its changes (thread-safe)."""

    def __init__(
        self,
        catalog: SopCatalog,
        *,
        agencies: Mapping[str, AgencySettings],
        check_every: float = DEFAULT_CHECK_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """`check_every`: the fewest seconds between two looks at the catalog's generation
        (0: at every read, for tests)."""
        self.catalog = catalog
        self._agencies = dict(agencies)
        self.check_every = check_every
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._seen: _Seen | None = None
        self._checked_at = 0.0

    # -- DefinitionSource -----------------------------------------------------------------

    @property
    def definitions(self) -> Mapping[str, SopDefinition]:
        """The current definitions, by id."""
        return self._current().definitions

    @property
    def agencies(self) -> Mapping[str, AgencySettings]:
        """The agency files that loaded cleanly at start-up, by agency key."""
        return self._agencies

    def get(self, sop_id: str) -> SopDefinition | None:
        """The current version of the SOP with this id, or None."""
        return self._current().definitions.get(sop_id)

    def for_agency(self, agency_key: str) -> list[SopDefinition]:
        """The current definitions of one agency, by id."""
        return list(self._current().by_agency.get(agency_key, ()))

    def zone_of(self, agency_key: str) -> str | None:
        """The agency's time zone as its agency file gives it; None when it has none."""
        settings = self._agencies.get(agency_key)
        return settings.timezone if settings is not None else None

    # -- following the catalog ------------------------------------------------------------

    @property
    def generation(self) -> int:
        """The catalog generation the view shows."""
        return self._current().generation

    def refresh(self) -> bool:
        """Look at the catalog now; True when the view changed."""
        with self._lock:
            return self._look()

    def _current(self) -> _Seen:
        with self._lock:
            seen = self._seen
            if seen is None or self._monotonic() - self._checked_at >= self.check_every:
                self._look()
                seen = self._seen
            assert seen is not None  # noqa: S101 - set by the look
            return seen

    def _look(self) -> bool:
        """Read the generation; read the definitions again only when it moved."""
        self._checked_at = self._monotonic()
        if self._seen is not None and self.catalog.generation() == self._seen.generation:
            return False
        current = self.catalog.current_definitions()
        for problem in current.problems:
            log.error("an installed SOP version no longer loads, left out: %s", problem)
        by_agency: dict[str, list[SopDefinition]] = {}
        for sop_id in sorted(current.definitions):
            definition = current.definitions[sop_id]
            by_agency.setdefault(definition.agency_key, []).append(definition)
        before = self._seen
        self._seen = _Seen(current.generation, dict(sorted(current.definitions.items())), by_agency)
        if before is not None:
            log.info(
                "SOP catalog changed (generation %d -> %d): %d SOP(s) can be started",
                before.generation,
                current.generation,
                len(current.definitions),
            )
        return True
