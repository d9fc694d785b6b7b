"""Simulated people: they write to the bot, send documents and press buttons, as on a phone.

Every action is synchronous (it stores the message and queues the update), so tests and the
demo can call it from the same asyncio loop as the bot; waiting for the bot is `await`ed.
A person can only press a button that is on the message NOW: a stale button cannot be pressed,
just as a phone redraws the message after an edit. `press_raw` forges any callback data, as an
attacker with a modified client could.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sopbot.emulator.markup import button_texts
from sopbot.emulator.state import (
    Account,
    CallbackAnswer,
    CallbackQueryState,
    ChatState,
    EmulatorState,
    StoredFile,
    StoredMessage,
)
from sopbot.emulator.text_entities import FormattedText, command_entities
from sopbot.emulator.transcript import render_chat

DEFAULT_WAIT = 5.0


class ButtonNotFound(LookupError):
    """The message has no such button now (it was never there, or an edit took it away)."""


@dataclass(frozen=True, slots=True)
class SeenMessage:
    """A message as a person sees it in the chat now."""

    message_id: int
    chat_id: int
    sequence: int  # position on the emulator's timeline (orders messages and presses)
    sender: str  # "Bot" or the person's first name
    from_bot: bool
    direction: Literal["incoming", "outgoing"]  # from the viewer's side: outgoing = theirs
    text: str | None  # the text, or the caption of a document
    document: str | None  # the document's file name
    buttons: tuple[tuple[str, ...], ...]  # the inline keyboard: rows of button texts
    reply_to: int | None
    edited: bool
    photo: bool = False  # a picture sent as a photo (its caption is `text`)

    @property
    def button_list(self) -> list[str]:
        """Every button text, row by row."""
        return [text for row in self.buttons for text in row]


@dataclass(frozen=True, slots=True)
class SeenPress:
    """A button press in the chat, with the bot's answer once it came."""

    query_id: str
    sequence: int
    person: str
    message_id: int
    button_text: str | None  # None when the callback data was forged
    callback_data: str
    answer: CallbackAnswer | None


def _seen(message: StoredMessage, viewer: Account | None) -> SeenMessage:
    content = message.text or message.caption
    return SeenMessage(
        message_id=message.message_id,
        chat_id=message.chat.id,
        sequence=message.sequence,
        sender="Bot" if message.from_bot else message.sender.first_name,
        from_bot=message.from_bot,
        direction="outgoing" if message.sender is viewer else "incoming",
        text=content.text if content is not None and content.text else None,
        document=(message.document.file_name or "document") if message.document else None,
        buttons=button_texts(message.reply_markup),
        reply_to=message.reply_to.message_id if message.reply_to else None,
        edited=message.edit_date is not None,
        photo=message.photo is not None,
    )


class ChatWindow:
    """A chat as one viewer sees it: the messages now, and waiting for the bot's messages."""

    def __init__(self, state: EmulatorState, chat: ChatState, viewer: Account | None) -> None:
        self._state = state
        self._chat = chat
        self._viewer = viewer
        # Bot messages up to this point on the timeline were already handed to the test.
        self._read_up_to = 0

    @property
    def chat_id(self) -> int:
        """The chat's id."""
        return self._chat.id

    @property
    def title(self) -> str:
        """How the chat is named on the phone."""
        if self._chat.person is not None:
            person = self._chat.person
            handle = f" (@{person.username})" if person.username else ""
            return person.full_name + handle
        return self._chat.title or str(self._chat.id)

    def messages(self) -> list[SeenMessage]:
        """The chat as it looks now, oldest first."""
        return [_seen(message, self._viewer) for message in self._chat.messages.values()]

    def bot_messages(self) -> list[SeenMessage]:
        """Only the bot's messages, as they look now."""
        return [message for message in self.messages() if message.from_bot]

    def last_bot_message(self) -> SeenMessage:
        """The bot's newest message (LookupError when the bot has not written yet)."""
        mine = self.bot_messages()
        if not mine:
            raise LookupError(f"the bot has not written in {self.title} yet")
        return mine[-1]

    def message(self, message_id: int) -> SeenMessage:
        """One message as it looks now."""
        return _seen(self._stored(message_id), self._viewer)

    def button_data(self, message: SeenMessage | int) -> list[tuple[str, str | None]]:
        """(text, callback_data) of each button on the message now, as a tampered client reads it.

        A phone never shows callback data; tests that play an attacker need it.
        """
        stored = self._stored(message if isinstance(message, int) else message.message_id)
        rows = (stored.reply_markup or {}).get("inline_keyboard", [])
        return [(button["text"], button.get("callback_data")) for row in rows for button in row]

    def presses(self) -> list[SeenPress]:
        """Every button press in this chat, with the bot's answers."""
        return [
            SeenPress(
                query_id=query.id,
                sequence=query.sequence,
                person=query.person.first_name,
                message_id=query.message.message_id,
                button_text=query.button_text,
                callback_data=query.data,
                answer=query.answer,
            )
            for query in self._state.callback_queries.values()
            if query.message.chat is self._chat
        ]

    def unread_bot_messages(self) -> list[SeenMessage]:
        """Bot messages after the viewer's last action or wait: not handed to the test yet."""
        return [m for m in self.bot_messages() if m.sequence > self._read_up_to]

    async def wait_for_bot_messages(
        self,
        count: int = 1,
        timeout: float = DEFAULT_WAIT,  # noqa: ASYNC109 - a plain deadline reads better
    ) -> list[SeenMessage]:
        """The next `count` bot messages after the viewer's last action (or the last wait)."""

        def unread() -> list[SeenMessage]:
            return self.unread_bot_messages()

        arrived = await self._state.signal.wait_until(lambda: len(unread()) >= count, timeout)
        if not arrived:
            raise TimeoutError(
                f"expected {count} new bot message(s) in {self.title} within {timeout}s, "
                f"got {len(unread())}; the chat now:\n{self.transcript()}"
            )
        handed = unread()[:count]
        self._read_up_to = handed[-1].sequence
        return handed

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float = DEFAULT_WAIT,  # noqa: ASYNC109 - a plain deadline reads better
        what: str = "",
    ) -> None:
        """Wait until `condition()` holds (checked whenever the emulator changes)."""
        if not await self._state.signal.wait_until(condition, timeout):
            raise TimeoutError(
                f"{what or 'condition'} did not hold within {timeout}s; "
                f"{self.title} now:\n{self.transcript()}"
            )

    def transcript(self) -> str:
        """The chat as readable text (see `render_chat`)."""
        return render_chat(self)

    def _stored(self, message_id: int) -> StoredMessage:
        stored = self._chat.messages.get(message_id)
        if stored is None:
            raise LookupError(f"there is no message {message_id} in {self.title}")
        return stored

    def _reply_target(self, reply_to: SeenMessage | int | None) -> StoredMessage | None:
        if reply_to is None:
            return None
        return self._stored(reply_to if isinstance(reply_to, int) else reply_to.message_id)

    def _mark_read(self) -> None:
        # What came before the viewer acted counts as read: waits return what comes after.
        self._read_up_to = max(
            [self._read_up_to, *(m.sequence for m in self._chat.messages.values())]
        )

    def _post(
        self,
        person: Account,
        *,
        text: FormattedText | None = None,
        document: StoredFile | None = None,
        caption: FormattedText | None = None,
        reply_to: SeenMessage | int | None = None,
    ) -> SeenMessage:
        target = self._reply_target(reply_to)
        if self._chat.is_private:
            # Writing to a bot starts the conversation (and unblocks it, as "Restart" does).
            self._chat.started, self._chat.blocked = True, False
        self._mark_read()
        stored = self._state.add_message(
            self._chat, person, text=text, document=document, caption=caption, reply_to=target
        )
        self._state.updates.push("message", stored.to_json())
        return _seen(stored, self._viewer)

    def _send_text(
        self, person: Account, text: str, reply_to: SeenMessage | int | None
    ) -> SeenMessage:
        if not text.strip():
            raise ValueError("a phone does not send an empty message")
        formatted = FormattedText(text, tuple(command_entities(text)))
        return self._post(person, text=formatted, reply_to=reply_to)

    def _send_document(
        self,
        person: Account,
        content: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None,
        reply_to: SeenMessage | int | None,
    ) -> SeenMessage:
        if not content:
            raise ValueError("a phone does not send an empty file")
        stored = self._state.store_file(content, file_name, mime_type)
        formatted = FormattedText(caption) if caption else None
        return self._post(person, document=stored, caption=formatted, reply_to=reply_to)

    def _press(self, person: Account, message: SeenMessage | int, button_text: str) -> str:
        message_id = message if isinstance(message, int) else message.message_id
        stored = self._stored(message_id)
        rows = (stored.reply_markup or {}).get("inline_keyboard", [])
        matching = [button for row in rows for button in row if button["text"] == button_text]
        if not matching:
            now = [text for row in button_texts(stored.reply_markup) for text in row]
            raise ButtonNotFound(
                f"message {message_id} in {self.title} has no button {button_text!r} now; "
                f"its buttons are {now}"
            )
        data = matching[0].get("callback_data")
        if data is None:
            raise ButtonNotFound(f"button {button_text!r} opens a link; it sends the bot nothing")
        return self._query(person, stored, data, button_text)

    def _query(
        self, person: Account, stored: StoredMessage, data: str, button_text: str | None
    ) -> str:
        state = self._state
        self._mark_read()
        query = CallbackQueryState(
            id=state.ids.callback_query(),
            person=person,
            message=stored,
            data=data,
            sequence=state.ids.sequence(),
            asked_at=state.monotonic(),
            button_text=button_text,
        )
        state.callback_queries[query.id] = query
        state.updates.push("callback_query", query.to_json())
        return query.id

    def _answers(self, person: Account) -> list[CallbackAnswer]:
        return [
            query.answer
            for query in self._state.callback_queries.values()
            if query.person is person and query.message.chat is self._chat and query.answer
        ]

    async def _wait_for_answer(
        self,
        query_id: str,
        timeout: float,  # noqa: ASYNC109 - a plain deadline reads better
    ) -> CallbackAnswer:
        query = self._state.callback_queries.get(query_id)
        if query is None:
            raise LookupError(f"no button press with query id {query_id}")
        await self.wait_until(lambda: query.answer is not None, timeout, "the bot's answer")
        answer = query.answer
        if answer is None:  # cannot happen once wait_until returned; keeps the type exact
            raise LookupError(f"press {query_id} has no answer")
        return answer


class SimulatedUser(ChatWindow):
    """A person with a Telegram account and a private chat with the bot."""

    def __init__(self, state: EmulatorState, account: Account, chat: ChatState) -> None:
        super().__init__(state, chat, account)
        self.account = account

    @property
    def id(self) -> int:
        """The person's user id (also the private chat's id)."""
        return self.account.id

    @property
    def first_name(self) -> str:
        """The person's first name."""
        return self.account.first_name

    @property
    def username(self) -> str | None:
        """The person's @username, without the @."""
        return self.account.username

    @property
    def language_code(self) -> str | None:
        """The language of the person's Telegram app."""
        return self.account.language_code

    @property
    def full_name(self) -> str:
        """First and last name."""
        return self.account.full_name

    def send_text(self, text: str, reply_to: SeenMessage | int | None = None) -> SeenMessage:
        """Write to the bot ("/start abc" carries a bot_command entity at offset 0)."""
        return self._send_text(self.account, text, reply_to)

    def send_document(
        self,
        content: bytes,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        reply_to: SeenMessage | int | None = None,
    ) -> SeenMessage:
        """Send the bot a file."""
        return self._send_document(self.account, content, file_name, mime_type, caption, reply_to)

    def press(self, message: SeenMessage | int, button_text: str) -> str:
        """Press a button that is on the message now; returns the callback query id."""
        return self._press(self.account, message, button_text)

    def press_raw(self, message_id: int, callback_data: str) -> str:
        """Send the bot any callback data for a message, as a tampered client could."""
        return self._query(self.account, self._stored(message_id), callback_data, None)

    def answers(self) -> list[CallbackAnswer]:
        """The bot's answers to this person's presses (toasts, alerts), oldest first."""
        return self._answers(self.account)

    async def wait_for_answer(
        self,
        query_id: str,
        timeout: float = DEFAULT_WAIT,  # noqa: ASYNC109 - a plain deadline reads better
    ) -> CallbackAnswer:
        """Wait for the bot to answer a press."""
        return await self._wait_for_answer(query_id, timeout)

    def document_content(self, message: SeenMessage | int) -> bytes:
        """The bytes of a document in the chat (what opening it on the phone shows)."""
        stored = self._stored(message if isinstance(message, int) else message.message_id)
        if stored.document is None:
            raise LookupError(f"message {stored.message_id} has no document")
        return stored.document.content

    def photo_content(self, message: SeenMessage | int) -> bytes:
        """The bytes of a photo in the chat."""
        stored = self._stored(message if isinstance(message, int) else message.message_id)
        if stored.photo is None:
            raise LookupError(f"message {stored.message_id} has no photo")
        return stored.photo.file.content

    def reply_keyboard(self) -> tuple[tuple[str, ...], ...]:
        """The bot's reply keyboard shown instead of the phone's keyboard, if any."""
        keyboard = self._chat.reply_keyboard
        return tuple(tuple(row) for row in keyboard["keyboard"]) if keyboard else ()

    def command_menu(self) -> list[tuple[str, str]]:
        """The bot's command menu as this person's app shows it (scope and language applied)."""
        language = self.account.language_code or ""
        scopes = [("chat", self.id, None), ("all_private_chats", None, None)]
        scopes.append(("default", None, None))
        for scope in scopes:
            for code in ([language] if language else []) + [""]:
                commands = self._state.commands.get((scope, code))
                if commands:
                    return [(c["command"], c["description"]) for c in commands]
        return []

    def block_bot(self) -> None:
        """Block the bot: its messages now fail with 403 until the person writes again."""
        self._chat.blocked = True
        self._state.signal.notify()


class SimulatedGroup(ChatWindow):
    """A group chat with the bot and some simulated people."""

    def __init__(self, state: EmulatorState, chat: ChatState) -> None:
        super().__init__(state, chat, None)

    @property
    def members(self) -> list[Account]:
        """The people in the group."""
        return list(self._chat.members)

    def send_text(
        self, member: SimulatedUser, text: str, reply_to: SeenMessage | int | None = None
    ) -> SeenMessage:
        """A member writes in the group."""
        self._check_member(member)
        return self._send_text(member.account, text, reply_to)

    def press(self, member: SimulatedUser, message: SeenMessage | int, button_text: str) -> str:
        """A member presses a button on a bot message in the group."""
        self._check_member(member)
        return self._press(member.account, message, button_text)

    def _check_member(self, member: SimulatedUser) -> None:
        if member.account not in self._chat.members:
            raise LookupError(f"{member.full_name} is not in {self.title}")
