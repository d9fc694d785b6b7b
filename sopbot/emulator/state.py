"""What the emulated Telegram knows: accounts, chats, messages, files, callback queries, updates.

Everything lives on one asyncio loop, so no locks; every change calls `ChangeSignal.notify`,
which wakes long polls, the webhook sender and tests waiting for the bot.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sopbot.emulator.text_entities import FormattedText

JsonDict = dict[str, Any]
ChatType = Literal["private", "group", "supergroup"]

# Updates the Bot API sends when allowed_updates is not given (these three need opting in).
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class ChangeSignal:
    """Wakes everyone waiting for the emulator's state to change."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    def notify(self) -> None:
        """Something changed: wake every waiter so it can look again."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_until(
        self,
        condition: Callable[[], bool],
        timeout: float | None,  # noqa: ASYNC109 - a plain deadline reads better
    ) -> bool:
        """Wait until `condition()` holds (True) or the timeout, if any, passes (False)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not condition():
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, remaining)
        return True


@dataclass(eq=False)
class Account:
    """A Telegram account: a simulated person, or the bot itself."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    @property
    def full_name(self) -> str:
        """First and last name, as Telegram shows it."""
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name

    def to_json(self) -> JsonDict:
        """The User object."""
        user: JsonDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code and not self.is_bot:
            user["language_code"] = self.language_code
        return user


@dataclass(eq=False)
class StoredFile:
    """A file Telegram keeps: uploaded by the bot or by a person."""

    file_id: str
    file_unique_id: str
    content: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str | None = None

    def document_json(self) -> JsonDict:
        """The Document object."""
        document: JsonDict = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.file_name:
            document["file_name"] = self.file_name
        if self.mime_type:
            document["mime_type"] = self.mime_type
        return document

    def file_json(self) -> JsonDict:
        """The File object getFile answers (file_path only once a download path exists)."""
        result: JsonDict = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.file_path:
            result["file_path"] = self.file_path
        return result


@dataclass(frozen=True, slots=True)
class StoredPhoto:
    """A picture sent as a photo: the file and its size in pixels (Telegram keeps several
    sizes; the emulator keeps the one it was sent in)."""

    file: StoredFile
    width: int
    height: int

    def size_json(self) -> JsonDict:
        """The PhotoSize object."""
        return {
            "file_id": self.file.file_id,
            "file_unique_id": self.file.file_unique_id,
            "width": self.width,
            "height": self.height,
            "file_size": len(self.file.content),
        }


@dataclass(eq=False)
class StoredMessage:
    """A message in a chat, in its current state (edits change it in place)."""

    chat: ChatState
    message_id: int
    date: int
    sender: Account
    sequence: int
    text: FormattedText | None = None
    caption: FormattedText | None = None
    document: StoredFile | None = None
    reply_markup: JsonDict | None = None
    reply_to: StoredMessage | None = None
    edit_date: int | None = None
    photo: StoredPhoto | None = None

    @property
    def from_bot(self) -> bool:
        """Whether the bot sent it."""
        return self.sender.is_bot

    def to_json(self, *, with_reply: bool = True) -> JsonDict:
        """The Message object (a replied-to message is nested one level, as Telegram does)."""
        message: JsonDict = {
            "message_id": self.message_id,
            "from": self.sender.to_json(),
            "chat": self.chat.to_json(),
            "date": self.date,
        }
        if self.edit_date is not None:
            message["edit_date"] = self.edit_date
        if with_reply and self.reply_to is not None:
            message["reply_to_message"] = self.reply_to.to_json(with_reply=False)
        if self.text is not None:
            message["text"] = self.text.text
            if self.text.entities:
                message["entities"] = self.text.entities_json()
        if self.document is not None:
            message["document"] = self.document.document_json()
        if self.photo is not None:
            message["photo"] = [self.photo.size_json()]
        if self.caption is not None and self.caption.text:
            message["caption"] = self.caption.text
            if self.caption.entities:
                message["caption_entities"] = self.caption.entities_json()
        if self.reply_markup is not None:
            message["reply_markup"] = self.reply_markup
        return message


@dataclass(eq=False)
class ChatState:
    """A chat the bot is in: a private chat with one person, or a group."""

    id: int
    type: ChatType
    chat_instance: str
    person: Account | None = None
    title: str | None = None
    members: list[Account] = field(default_factory=list)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    # A person must write to a bot before it may write to them (403 otherwise).
    started: bool = False
    blocked: bool = False
    reply_keyboard: JsonDict | None = None

    @property
    def is_private(self) -> bool:
        """Whether this is a one-to-one chat with a person."""
        return self.type == "private"

    def to_json(self) -> JsonDict:
        """The Chat object."""
        chat: JsonDict = {"id": self.id, "type": self.type}
        if self.person is not None:
            chat["first_name"] = self.person.first_name
            if self.person.last_name:
                chat["last_name"] = self.person.last_name
            if self.person.username:
                chat["username"] = self.person.username
        if self.title is not None:
            chat["title"] = self.title
        return chat


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """What the bot answered to a button press: a toast, an alert, or nothing visible."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int

    @property
    def kind(self) -> Literal["alert", "toast", "silent"]:
        """How the phone shows it."""
        if not self.text:
            return "silent"
        return "alert" if self.show_alert else "toast"


@dataclass(eq=False)
class CallbackQueryState:
    """A button press the bot has been told about."""

    id: str
    person: Account
    message: StoredMessage
    data: str
    sequence: int
    asked_at: float
    button_text: str | None  # None when forged with press_raw
    answer: CallbackAnswer | None = None

    def to_json(self) -> JsonDict:
        """The CallbackQuery object (with the message as it is now)."""
        return {
            "id": self.id,
            "from": self.person.to_json(),
            "message": self.message.to_json(),
            "chat_instance": self.message.chat.chat_instance,
            "data": self.data,
        }


@dataclass(eq=False)
class WebhookConfig:
    """The webhook the bot set."""

    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str | None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One call the bot made, for tests to inspect."""

    method: str
    params: dict[str, Any]  # as they came: strings from a form, JSON values from a JSON body
    at: float
    status: int
    description: str | None = None
    retry_after: int | None = None  # a 429's parameters.retry_after

    @property
    def ok(self) -> bool:
        """Whether Telegram answered ok=true."""
        return self.status == 200


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One attempt to POST an update to the bot's webhook, and when (the emulator's clock:
    the POST went out at `sent_at`, its answer, or the failure, came at `answered_at`)."""

    update_id: int
    url: str
    status: int | None
    error: str | None = None
    sent_at: float | None = None
    answered_at: float | None = None


class UpdateQueue:
    """Updates waiting for the bot: confirmed by getUpdates offsets or by the webhook."""

    def __init__(self, signal: ChangeSignal) -> None:
        self._signal = signal
        self._pending: list[JsonDict] = []
        self._next_update_id = 1
        self.allowed: frozenset[str] | None = None

    def push(self, kind: str, payload: JsonDict) -> JsonDict | None:
        """Queue a new update of this kind, unless the bot's allowed_updates leaves it out."""
        wanted = kind in self.allowed if self.allowed else kind not in OPT_IN_UPDATES
        if not wanted:
            return None
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._pending.append(update)
        self._signal.notify()
        return update

    @property
    def newest_id(self) -> int | None:
        """The id of the update pushed last (None before the first): a load test joins what
        its people did with the webhook's deliveries by it."""
        return self._next_update_id - 1 if self._next_update_id > 1 else None

    def set_allowed(self, kinds: list[Any] | None) -> None:
        """Apply allowed_updates (an empty list means the default set)."""
        if kinds is None:
            return
        self.allowed = frozenset(str(kind) for kind in kinds) or None

    def confirm(self, offset: int) -> None:
        """Forget updates the bot confirmed (or, for a negative offset, all but the last few)."""
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]

    def forget(self, update_id: int) -> None:
        """Forget one update the webhook took (a 2xx)."""
        self._pending = [u for u in self._pending if u["update_id"] != update_id]
        self._signal.notify()

    def first(self, limit: int) -> list[JsonDict]:
        """The oldest pending updates."""
        return self._pending[:limit]

    def drop_all(self) -> None:
        """Forget every pending update (drop_pending_updates)."""
        self._pending.clear()

    def __len__(self) -> int:
        return len(self._pending)


class Ids:
    """Deterministic identifiers, per emulator, shaped like Telegram's."""

    def __init__(self) -> None:
        self._next_user = 100_000_001
        self._next_group = 4_000_000_001
        self._next_file = 1
        self._next_query = 1
        self._next_sequence = 1

    def user(self) -> int:
        """A new person's id (the private chat has the same id)."""
        self._next_user += 1
        return self._next_user - 1

    def group(self) -> int:
        """A new group's id (negative, as group ids are)."""
        self._next_group += 1
        return -(self._next_group - 1)

    def file(self) -> tuple[str, str]:
        """A new (file_id, file_unique_id) pair."""
        number = self._next_file
        self._next_file += 1
        raw = f"emulated-document-{number:08d}".encode()
        return "BQACAgIAAxkB" + base64.urlsafe_b64encode(raw).decode().rstrip("="), (
            f"AgAD{number:06d}"
        )

    def callback_query(self) -> str:
        """A new callback query id."""
        number = self._next_query
        self._next_query += 1
        return str(4_382_000_000_000_000_000 + number)

    def sequence(self) -> int:
        """The next number on the emulator's timeline (orders messages and presses)."""
        self._next_sequence += 1
        return self._next_sequence - 1


@dataclass(eq=False)
class EmulatorState:
    """Everything one emulated Telegram holds for one bot."""

    bot: Account
    monotonic: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    signal: ChangeSignal = field(default_factory=ChangeSignal)
    ids: Ids = field(default_factory=Ids)
    people: dict[int, Account] = field(default_factory=dict)
    chats: dict[int, ChatState] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    files_by_path: dict[str, StoredFile] = field(default_factory=dict)
    callback_queries: dict[str, CallbackQueryState] = field(default_factory=dict)
    commands: dict[tuple[tuple[str, int | None, int | None], str], list[JsonDict]] = field(
        default_factory=dict
    )
    webhook: WebhookConfig | None = None
    calls: list[ApiCall] = field(default_factory=list)
    webhook_deliveries: list[WebhookDelivery] = field(default_factory=list)
    poll_generation: int = 0
    polls_waiting: int = 0  # getUpdates calls being held right now
    # Telegram forgets a press after some seconds; None keeps presses answerable forever.
    callback_query_ttl: float | None = None
    stopping: bool = False
    updates: UpdateQueue = field(init=False)

    def __post_init__(self) -> None:
        self.updates = UpdateQueue(self.signal)

    def now(self) -> int:
        """The current Unix time, as message dates carry it."""
        return int(self.wall_clock())

    def add_message(
        self,
        chat: ChatState,
        sender: Account,
        *,
        text: FormattedText | None = None,
        caption: FormattedText | None = None,
        document: StoredFile | None = None,
        reply_markup: JsonDict | None = None,
        reply_to: StoredMessage | None = None,
        photo: StoredPhoto | None = None,
    ) -> StoredMessage:
        """Store a new message in a chat and tell the waiters."""
        message = StoredMessage(
            chat=chat,
            message_id=chat.next_message_id,
            date=self.now(),
            sender=sender,
            sequence=self.ids.sequence(),
            text=text,
            caption=caption,
            document=document,
            reply_markup=reply_markup,
            reply_to=reply_to,
            photo=photo,
        )
        chat.next_message_id += 1
        chat.messages[message.message_id] = message
        self.signal.notify()
        return message

    def store_file(
        self, content: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        """Keep a new file and give it fresh identifiers."""
        file_id, unique_id = self.ids.file()
        stored = StoredFile(file_id, unique_id, content, file_name, mime_type)
        self.files[file_id] = stored
        return stored
