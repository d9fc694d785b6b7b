"""What a command prints of people's text: shown, never obeyed by the terminal."""

from __future__ import annotations

from sopbot.bot.terminal_table import Column, render_table, shown_on_terminal


def test_control_characters_are_shown_as_spaces() -> None:
    assert shown_on_terminal("Rapat\x1b[2J koordinasi\tDinas\n") == "Rapat [2J koordinasi Dinas "
    table = render_table([Column("Judul", 10)], [["A\x1b]0;x\x07B"]], width=40)
    assert "\x1b" not in table
    assert "\x07" not in table
