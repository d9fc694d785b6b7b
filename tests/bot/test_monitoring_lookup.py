"""The command line's monitoring service (what `sopbot report` asks): the agency's SOPs from
the folder, its figures from the settings' database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sopbot.bot.cli_lookup import monitoring
from sopbot.bot.settings import Settings
from tests.helpers.command_line import AGENCY, create_agency, stored_agency, use_fresh_database


def test_the_command_line_reads_the_figures_of_the_folder_s_sops(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    use_fresh_database(monkeypatch, tmp_path)
    create_agency(capsys)
    agency = stored_agency(AGENCY)
    assert agency is not None

    service = monitoring(Settings())
    sops = service.sops_of(agency.id)
    report = service.compliance(agency.id, dt.date(2026, 1, 1), dt.date(2026, 1, 31))

    # The Kesbangpol seed SOP, from the folder, though nothing ran yet.
    assert [sop_id for sop_id, _ in sops] == [f"{AGENCY}/pengumpulan-pengolahan-data-kinerja"]
    assert [sop.sop_id for sop in report.sops] == [sops[0][0]]
    assert report.procedures.started == 0
    assert report.header.timezone == "Asia/Jakarta"
