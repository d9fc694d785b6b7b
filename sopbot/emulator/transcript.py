"""A chat as readable text, the way a phone shows it: for the demo and for failing tests.

── Budi Santoso (@budi) ──
[Budi] /start
[Bot] Selamat datang, Budi.
      [ Selesai ] [ Kembalikan ]
  » Budi pressed [ Selesai ]
  » toast: Tercatat
[Bot] 📎 laporan.pdf
      Laporan kegiatan bulan Mei
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sopbot.emulator.simulated_user import ChatWindow, SeenMessage, SeenPress

QUOTE_WIDTH = 40


def render_chat(window: ChatWindow) -> str:
    """The whole chat as text: messages as they look now, presses and the bot's answers."""
    messages = window.messages()
    by_id = {message.message_id: message for message in messages}
    entries: list[tuple[int, list[str]]] = [
        (message.sequence, _message_lines(message, by_id)) for message in messages
    ]
    entries += [(press.sequence, _press_lines(press)) for press in window.presses()]
    entries.sort(key=lambda entry: entry[0])
    lines = [f"── {window.title} ──"]
    for _, block in entries:
        lines.extend(block)
    return "\n".join(lines)


def _message_lines(message: SeenMessage, by_id: dict[int, SeenMessage]) -> list[str]:
    tag = f"[{message.sender}{', edited' if message.edited else ''}] "
    indent = " " * len(tag)
    body: list[str] = []
    if message.reply_to is not None:
        quoted = by_id.get(message.reply_to)
        body.append(f"↪ {_quote(quoted)}")
    if message.document is not None:
        body.append(f"📎 {message.document}")
    if message.photo:
        body.append("🖼️ (foto)")
    if message.text:
        body.extend(message.text.split("\n"))
    for row in message.buttons:
        body.append(" ".join(f"[ {text} ]" for text in row))
    if not body:
        body = [""]
    return [(tag + body[0]).rstrip()] + [(indent + line).rstrip() for line in body[1:]]


def _quote(message: SeenMessage | None) -> str:
    if message is None:
        return "(deleted message)"
    first = (message.text or message.document or "").split("\n")[0]
    if len(first) > QUOTE_WIDTH:
        first = first[: QUOTE_WIDTH - 1] + "…"
    return f"{message.sender}: {first}"


def _press_lines(press: SeenPress) -> list[str]:
    if press.button_text is None:
        lines = [f"  » {press.person} sent forged callback data {press.callback_data!r}"]
    else:
        lines = [f"  » {press.person} pressed [ {press.button_text} ]"]
    answer = press.answer
    if answer is not None and answer.text:
        lines.append(f"  » {answer.kind}: {answer.text}")
    return lines
