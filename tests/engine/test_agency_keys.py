"""An agency's key: proposed from its name, kept unique, checked as a key."""

from __future__ import annotations

import pytest

from sopbot.engine.agency_keys import (
    FALLBACK_KEY,
    PROPOSED_KEY_LIMIT,
    is_agency_key,
    key_from_name,
    unique_key,
)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Dinas Perhubungan Kota Samarinda", "dinas-perhubungan-kota-samarinda"),
        ("Dinas Komunikasi & Informatika (Kominfo)", "dinas-komunikasi-informatika-kominfo"),
        ("  Kecamatan   Sungai Kunjang ", "kecamatan-sungai-kunjang"),
        ("Bappéda Kota Bontang", "bappeda-kota-bontang"),
        ("RSUD A.W. Sjahranie", "rsud-a-w-sjahranie"),
        ("كتابة", FALLBACK_KEY),
        ("", FALLBACK_KEY),
    ],
)
def test_a_key_from_a_name(name: str, key: str) -> None:
    assert key_from_name(name) == key
    assert is_agency_key(key)


def test_a_long_name_is_cut_at_a_word() -> None:
    name = "Badan Perencanaan Pembangunan Penelitian dan Pengembangan Daerah Kota Samarinda"
    key = key_from_name(name)
    assert key == "badan-perencanaan-pembangunan-penelitian-dan"
    assert len(key) <= PROPOSED_KEY_LIMIT
    assert key_from_name("x" * 100) == "x" * PROPOSED_KEY_LIMIT


def test_a_taken_key_gets_the_first_free_number() -> None:
    taken = {"dinas-uji", "dinas-uji-2"}
    assert unique_key("dinas-uji", taken.__contains__) == "dinas-uji-3"
    assert unique_key("dinas-baru", taken.__contains__) == "dinas-baru"


@pytest.mark.parametrize(
    "key", ["Dinas", "dinas_uji", "dinas--uji", "-dinas", "dinas-", "dinas/uji", "a" * 65, ""]
)
def test_what_is_not_a_key(key: str) -> None:
    assert not is_agency_key(key)
