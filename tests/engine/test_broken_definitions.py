"""A corpus of broken SOP definitions: each file must be refused whole, with exactly its problems.

Every file in broken_defs/ is listed in EXPECTED with every (line, message) the loader must report
for it, in the loader's order (by line). A warning's message starts with "warning: ", as in
`str(problem)`. A new file without an entry (or an entry without a file) fails the suite.

The corpus is read by libyaml's composer when PyYAML has it, and once more in a process where
libyaml is hidden, so that the pure-Python fallback is held to exactly the same problems.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sopbot.engine import yaml_nodes
from sopbot.engine.library import load_paths
from sopbot.engine.problems import Problem, Severity

BROKEN_DEFS = Path(__file__).parent / "broken_defs"

_YAML_HINT = "; check the indentation and the quoting of this line and the one before it"
_EMPTY = "the file is empty; an SOP definition needs the sections 'sop', 'pelaksana' and 'langkah'"
_KEEP_WORDING = (
    "or keep the document's wording and give the standard to count: "
    "'waktu: {tertulis: ..., baku: ...}'"
)
_BAD_TIME_HINT = (
    "write a number and a unit, e.g. '5 Menit', '2 Jam', '1 Hari', '1 jam 30 menit', "
    "'1/2 hari', '5 menit/berkas' (units: detik, menit, jam, hari, hari kerja, hari kalender, "
    f"minggu, bulan), {_KEEP_WORDING}"
)
_NIP_HINT = "a NIP has 18 digits (spaces between groups are allowed)"
_OUTPUT_KINDS = "use one of: dokumen, catatan, tidak_ada"
_UNREACHABLE = (
    "can never be reached: no step leads to it; point a 'lanjut' or a decision branch at it, "
    "or remove it"
)
_TAG = "is not allowed: an SOP file holds only plain text, numbers and lists; remove the tag"
_NINES = "9" * 57 + "..."

EXPECTED: dict[str, list[tuple[int, str]]] = {
    "01_empty_file.yaml": [(1, _EMPTY)],
    "02_only_comments.yaml": [(1, _EMPTY)],
    "03_bad_indentation.yaml": [
        (
            4,
            "invalid YAML: a ':' stands where YAML cannot take one (a text containing ': ' "
            "must be quoted)" + _YAML_HINT,
        ),
    ],
    # The quote is opened on line 26 and never closed: the problem belongs on that line (PyYAML's
    # context mark), not on line 30 after the end of the file, with words saying what is wrong.
    "04_unclosed_quote.yaml": [
        (26, "invalid YAML: the quote opened on this line is never closed; add the closing quote"),
    ],
    "05_tab_indentation.yaml": [
        (27, "invalid YAML: a tab character is used for indentation; indent with spaces"),
    ],
    "06_two_documents.yaml": [
        (25, "the file holds more than one YAML document ('---'); put one SOP per file"),
    ],
    "07_top_level_list.yaml": [
        (2, "the file must be a mapping with the sections 'sop', 'pelaksana' and 'langkah'"),
    ],
    "08_missing_langkah.yaml": [
        (2, "the file is missing the required key 'langkah' (the steps of the procedure table)"),
    ],
    "09_unknown_section.yaml": [
        (2, "the file is missing the required key 'langkah' (the steps of the procedure table)"),
        (19, "unknown key 'langkh' in the file; did you mean 'langkah'?"),
    ],
    "10_unknown_step_key.yaml": [
        (25, "step 2 is missing the required key 'kegiatan' (the activity as written)"),
        (26, "unknown key 'kegiatn' in step 2; did you mean 'kegiatan'?"),
    ],
    "11_unknown_header_key.yaml": [
        (12, "unknown key 'dasar_hukm' in the header 'sop'; did you mean 'dasar_hukum'?"),
    ],
    "12_duplicate_key.yaml": [
        (25, "the key 'waktu' appears twice in step 1 (first on line 23); keep one"),
    ],
    # The header starts on line 2 ('sop:'); line 3 is the unrelated 'nomor'.
    "13_missing_effective_date.yaml": [
        (
            2,
            "the header 'sop' is missing the required key 'tanggal_efektif' (Tanggal Efektif; "
            "'tidak_tercantum' when the document does not state it)",
        ),
    ],
    "14_blank_effective_date.yaml": [
        (
            7,
            "'tanggal_efektif' is blank; write the date as the document states it, or "
            "'tanggal_efektif: tidak_tercantum' when the document does not state it",
        ),
    ],
    # The date is written exactly as asked ('4 Mei 2026' style); the day does not exist.
    "15_impossible_date.yaml": [
        (
            7,
            "'tanggal_efektif': the date '31 Februari 2026' does not exist; "
            "check the day and the month",
        ),
    ],
    "16_bad_nip.yaml": [
        (11, f"the NIP '19780107199703100' in 'disahkan_oleh' is not a NIP: {_NIP_HINT}"),
    ],
    "17_unknown_role_in_step.yaml": [
        (
            22,
            "step 1: unknown pelaksana 'kabid'; use the id of a role under 'pelaksana' "
            "(known: kepala_bidang, staf)",
        ),
    ],
    "18_invalid_role_id.yaml": [
        (
            14,
            "role id 'Kepala Dinas' is not a valid id; use lower-case letters, digits and '_', "
            "e.g. 'kepala_dinas'",
        ),
    ],
    "19_duplicate_role_id.yaml": [
        (18, "role id 'staf' is used twice (first on line 16); give each role its own id"),
    ],
    "20_duplicate_role_name.yaml": [
        (
            18,
            "two roles are named 'STAF' (lines 16 and 18); each Pelaksana column has its own name",
        ),
    ],
    "21_duplicate_step_number.yaml": [
        (32, "step id 7 is used twice (first on line 26); give each step its own id"),
        (
            32,
            "warning: step number 2 appears twice (first on line 26); kept as the document "
            "prints it. A 'lanjut' or a branch names this one by its id 7",
        ),
    ],
    # Step 2 is not missing, only listed late: no "step numbers jump" warning for it.
    "22_steps_out_of_order.yaml": [
        (30, "step 2 is listed after step 3; list the steps in the order of their numbers"),
    ],
    "23_step_number_not_whole.yaml": [
        (
            25,
            "'lanjut' of step 1 goes to step 2a, but 2 steps are numbered 2a; give the one you "
            "mean an 'id' and point at the id",
        ),
        (
            31,
            "warning: step number 2a appears twice (first on line 26); kept as the document "
            "prints it. To send work to this one by a 'lanjut' or a branch, give it an 'id' (a "
            "whole number no other step uses) and name the id",
        ),
    ],
    "24_unreadable_time.yaml": [
        (28, f"'waktu' of step 2: cannot read the time '5 mnit'; {_BAD_TIME_HINT}"),
    ],
    "25_time_range.yaml": [
        (
            28,
            "'waktu' of step 2: '1-2 Hari' is a range; write the standard time as one value, "
            f"e.g. '2 Hari', {_KEEP_WORDING}",
        ),
    ],
    "26_zero_time.yaml": [
        (23, "'waktu' of step 1: the time '0 Menit' must be more than zero"),
    ],
    "27_unknown_output_kind.yaml": [
        (29, f"unknown jenis_output 'laporan' for step 2; {_OUTPUT_KINDS}"),
    ],
    "28_unknown_assignment.yaml": [
        (
            18,
            "unknown pemegang 'masing_masing' for role 'kepala_bidang'; "
            "use one of: salah_satu, semua",
        ),
    ],
    # Line 30 is 'keputusan:'; line 31 is the question inside it.
    "29_decision_without_no.yaml": [
        (
            30,
            "the decision ('keputusan') of step 2 is missing the required key 'tidak' "
            "(the step the work goes back to when the answer is 'tidak')",
        ),
    ],
    "30_decision_same_branches.yaml": [
        (
            30,
            "the decision of step 2 sends 'ya' and 'tidak' to the same place; "
            "a decision needs two different ways",
        ),
    ],
    "31_branch_to_missing_step.yaml": [
        (33, "'tidak' of step 2 goes to step 7, which does not exist"),
    ],
    "32_lanjut_to_itself.yaml": [
        (30, "'lanjut' of step 2 points at step 2 itself; point it at another step"),
    ],
    # Step 2 exists: step 4's branch back to it is fine and the numbers 1, 2, 3, 4 do not jump.
    "33_lanjut_and_decision.yaml": [
        (
            30,
            "step 2 has both 'lanjut' and 'keputusan'; a step goes on either by 'lanjut' or by "
            "the branches of one 'keputusan' or 'pertanyaan'",
        ),
    ],
    "34_unreachable_step.yaml": [(31, f"step 3 {_UNREACHABLE}")],
    # Steps 2 and 3 are the loop; step 1 only leads into it.
    "35_loop_without_exit.yaml": [
        (
            25,
            "steps 2, 3 loop with no way out: none of them leads to the end of the procedure; "
            "give one of them a branch that leaves the loop",
        ),
    ],
    "36_decision_by_every_holder.yaml": [
        (
            28,
            "step 2 is a decision but every holder of 'kepala_bidang' would do it "
            "(pemegang: semua); a decision is taken by one person, set pemegang: salah_satu "
            "on the step",
        ),
    ],
    "37_empty_steps.yaml": [(19, "'langkah' has no steps; list the steps of the procedure")],
    "38_empty_roles.yaml": [
        (13, "'pelaksana' has no roles; list the Pelaksana columns of the SOP"),
    ],
    "39_several_errors.yaml": [
        (12, f"the NIP '1978 0107 1997 03 100' in 'disahkan_oleh' is not a NIP: {_NIP_HINT}"),
        (
            30,
            "step 2: unknown pelaksana 'sekretariat'; use the id of a role under 'pelaksana' "
            "(did you mean 'sekretaris'?)",
        ),
        (
            36,
            "'waktu' of step 3: '1 s/d 3 Hari' is a range; write the standard time as one "
            f"value, e.g. '2 Hari', {_KEEP_WORDING}",
        ),
        (42, f"unknown jenis_output 'surat' for step 4; {_OUTPUT_KINDS}"),
    ],
    "40_header_and_flow_errors.yaml": [
        (
            7,
            "'tanggal_pembuatan' is blank; write the date as the document states it, or "
            "'tanggal_pembuatan: tidak_tercantum' when the document does not state it",
        ),
        (9, "unknown key 'tanggal_revsi' in the header 'sop'; did you mean 'tanggal_revisi'?"),
        (34, "'ya' of step 2 goes to step 4, which does not exist"),
    ],
    "41_SOP_Rusak.yaml": [
        (
            1,
            "'41_SOP_Rusak' cannot be part of an SOP id; name folders and files with "
            "lower-case letters, digits, '-' and '_'",
        ),
    ],
    # The stray quote on line 10 is closed by the NIP's first quote on line 11, so YAML fails on
    # line 11; the hint points back at line 10.
    "42_unclosed_quote_mid_file.yaml": [
        (11, "invalid YAML: the line does not line up with the block it belongs to" + _YAML_HINT),
    ],
    "43_unreachable_with_warnings.yaml": [
        (19, "warning: role 'sekretaris' (Sekretaris) does no step; remove it or give it a step"),
        (34, "warning: step numbers jump from 2 to 4; is a step missing?"),
        (34, f"step 4 {_UNREACHABLE}"),
    ],
    # Every tag is refused, the harmless '!!str' too: none is needed, and the file is not built.
    "44_yaml_tags.yaml": [
        (17, f"the YAML tag '!!str' {_TAG}"),
        (21, f"the YAML tag '!!python/object/apply:os.system' {_TAG}"),
        (26, f"the YAML tag '!rahasia' {_TAG}"),
    ],
    "45_deep_nesting.yaml": [
        (
            26,
            "lists and mappings are nested more than 100 levels deep here; an SOP needs only a "
            "few levels: check the brackets and the indentation",
        ),
    ],
    # The 5,000-digit number is refused before Python is asked to convert it (which it refuses
    # with a ValueError), and quoted cut short.
    "46_step_numbers_too_large.yaml": [
        (25, "'lanjut' of step 1 must be a whole number up to 9999, not '10000'"),
        (26, f"'no' of step {_NINES} must be a whole number up to 9999, not '{_NINES}'"),
    ],
    "47_control_character.yaml": [
        (
            26,
            "the file holds the character U+0007, which YAML does not allow; remove it (it is "
            "often pasted in invisibly from a word processor)",
        ),
    ],
    "48_text_too_long.yaml": [
        (
            26,
            "'kegiatan' of step 2 is 1,004 characters long; shorten it to at most 1,000 characters",
        ),
    ],
    "49_unclosed_bracket.yaml": [
        (24, "invalid YAML: a '[' list is not closed with ']'" + _YAML_HINT),
    ],
    # libyaml words this one apart from 05 ("cannot start any token"): still a tab.
    "50_tab_before_key.yaml": [
        (9, "invalid YAML: a tab character is used for indentation; indent with spaces"),
    ],
}


def _shown(problem: Problem) -> tuple[int, str]:
    prefix = "warning: " if problem.severity is Severity.WARNING else ""
    return problem.line, prefix + problem.message


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_definition_is_refused_with_exactly_its_problems(name: str) -> None:
    path = BROKEN_DEFS / name
    library = load_paths([path])
    assert library.definitions == {}
    assert [_shown(p) for p in library.problems] == EXPECTED[name]
    assert all(p.file == str(path) for p in library.problems)
    assert library.errors, "a broken file must have at least one error, not only warnings"


def test_every_broken_file_has_an_expectation_and_every_expectation_a_file() -> None:
    on_disk = {
        p.name
        for p in BROKEN_DEFS.iterdir()
        if p.suffix in (".yaml", ".yml") and p.name != "instansi.yaml"  # the agency file
    }
    assert on_disk == set(EXPECTED)


def test_broken_corpus_is_large_enough() -> None:
    assert len(list(BROKEN_DEFS.glob("*.yaml"))) >= 25


def test_expected_problems_are_sorted_by_line_and_include_an_error() -> None:
    for name, expected in EXPECTED.items():
        lines = [line for line, _ in expected]
        assert lines == sorted(lines), name
        assert any(not message.startswith("warning: ") for _, message in expected), name


def test_libyaml_composes_when_pyyaml_has_it() -> None:
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml here; the test below covers this case")
    assert yaml_nodes.LOADER is yaml.CSafeLoader


# Hides libyaml before PyYAML is imported, as on an install built without it, then prints what
# the loader reports for each corpus file.
_WITHOUT_LIBYAML = """
import json, sys
from pathlib import Path
sys.modules["yaml._yaml"] = None
import yaml
from sopbot.engine import yaml_nodes
from sopbot.engine.library import load_paths
assert not yaml.__with_libyaml__ and yaml_nodes.LOADER is yaml.SafeLoader
found = {}
for path in sys.argv[1:]:
    library = load_paths([Path(path)])
    shown = [[p.line, ("warning: " if p.severity == "warning" else "") + p.message]
             for p in library.problems]
    found[path] = {"loaded": sorted(library.definitions), "problems": shown}
print(json.dumps(found))
"""


def test_without_libyaml_the_pure_python_composer_reports_the_same_problems() -> None:
    repo = Path(__file__).resolve().parents[2]
    paths = [str(BROKEN_DEFS / name) for name in sorted(EXPECTED)]
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_LIBYAML, str(repo / "sop_defs"), *paths],
        capture_output=True,
        text=True,
        check=True,
        cwd=repo,
    )
    found = json.loads(done.stdout)
    seeds = found[str(repo / "sop_defs")]
    assert (len(seeds["loaded"]), seeds["problems"]) == (4, [])
    for name in sorted(EXPECTED):
        outcome = found[str(BROKEN_DEFS / name)]
        assert outcome["loaded"] == [], name
        assert [tuple(problem) for problem in outcome["problems"]] == EXPECTED[name], name
