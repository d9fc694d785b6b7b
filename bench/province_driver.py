"""The province-day's Telegram: the emulator, keeping Telegram's flood limits, and the officials
who use it, in one process of their own, so that the bot's CPU is measured apart from theirs.

    python -m bench.province_driver --users 4000

prints one JSON line {"port", "token", "users": [ids]}, then answers each line on its standard
input with one JSON line:
  * `plan JSON` -> {"planned": n}: the day's starts to play, each at `t0 + at` on the machine's
    monotonic clock (shared by every process), and how the officials behave (see `Plan`);
  * `status` -> what the officials are doing now (`Officials.status`);
  * `report` -> everything the benchmark measures and checks from Telegram's side
    (`Officials.report`): each update the officials caused, its delivery to the webhook and the
    bot's first answer to it, every message the bot had accepted, the flood refusals;
  * `stop` (or the end of the input) stops the emulator.

The officials act as people at their phones, from what the chat shows and nothing else: each
does one thing at a time (their actions queue), reads a disposition for a moment before acting,
takes a team's step with Ambil first (as its text asks), replies with a small PDF when it asks
for the step's document, presses Selesai or answers Sesuai (sometimes Tidak sesuai with a
reason, on a first round), and starts a procedure with /mulai: the SOP's button, the title
typed, the letter skipped, a note typed. A disposition whose buttons are gone when the official
comes to it (a teammate took it) is left alone, as a person would, and a refusal (a teammate
was quicker) ends the action; a procedure title carrying the plan's `neglected` marker is never
acted on (the backlog, whose reminders and escalations the run counts). Each official's answers
are waited for by matching the chat's new bot messages (one waiter on the emulator's change
signal reads every call once: thousands of waiting officials would each be woken by every
change).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import html
import json
import random
import re
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sopbot.demo.choices import REASONS
from sopbot.demo.samples import sample_pdf
from sopbot.emulator import ButtonNotFound, CallbackAnswer, SimulatedUser
from sopbot.emulator.emulator import BotApiEmulator
from sopbot.emulator.markup import button_texts
from sopbot.emulator.process import early_retries
from sopbot.emulator.state import ApiCall, ChatState, StoredMessage
from sopbot.messaging.catalog import Language, default_catalog

# Methods by which the bot puts something in a chat (Telegram's flood limits count these).
MESSAGE_METHODS = frozenset({"sendmessage", "senddocument", "sendphoto"})
EDIT_METHODS = frozenset({"editmessagetext", "editmessagereplymarkup"})
# Longest an official waits for the bot's answer before counting it as never come.
ANSWER_WAIT = 300.0


def _plain(key: str) -> str:
    """A catalog text as the phone shows it (tags gone, entities read), cut at its first
    placeholder: what a message of that kind starts with."""
    template = default_catalog().text(Language.ID, key)  # no values: the template itself
    return html.unescape(re.sub(r"<[^>]+>", "", template.split("{", 1)[0]))


def label(key: str) -> str:
    """A button's label as the officials' phones show it (Bahasa Indonesia)."""
    return default_catalog().text(Language.ID, key)


COMPLETE, YES, NO, CLAIM, SKIP = (
    label(f"button.{name}") for name in ("complete", "yes", "no", "claim", "skip")
)


def text_hash(text: str) -> str:
    """A short digest of a text: messages are compared by chat and digest, not carried whole."""
    return hashlib.sha1(text.encode()).hexdigest()[:16]  # noqa: S324 - a fingerprint


@dataclass(frozen=True, slots=True)
class Start:
    """One procedure the plan starts: when (seconds after t0), by whom, which SOP, its words."""

    at: float
    chat: int
    sop_button: str
    title: str
    note: str


@dataclass(frozen=True, slots=True)
class Plan:
    """What the officials play: the starts, and how they behave."""

    t0: float
    starts: list[Start]
    think: tuple[float, float]  # seconds an official reads before acting, uniform
    refuse: float  # share of first-round questions answered "Tidak sesuai"
    neglected: str  # titles with this word are never acted on
    seed: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Plan:
        """The plan as the benchmark sends it."""
        return cls(
            t0=float(data["t0"]),
            starts=[Start(*row) for row in data["starts"]],
            think=(float(data["think"][0]), float(data["think"][1])),
            refuse=float(data["refuse"]),
            neglected=str(data["neglected"]),
            seed=int(data["seed"]),
        )


@dataclass(slots=True)
class Pushed:
    """An update an official caused: what it was, in which chat, when (the emulator's clock)."""

    update_id: int
    kind: str  # press | text | document
    chat: int
    at: float
    query_id: str | None = None  # a press's callback query
    message_id: int | None = None  # a text's or document's message


@dataclass(slots=True)
class _Expectation:
    """An official waiting for a bot message in their chat that answers what they did."""

    matches: Callable[[StoredMessage], bool]
    arrived: asyncio.Future[StoredMessage]


@dataclass
class Officials:
    """Every simulated official of the province, reading their chats and acting on them."""

    emulator: BotApiEmulator
    plan: Plan | None = None
    pushed: list[Pushed] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    busy: int = 0  # official tasks not finished
    launched: int = 0  # starts of the plan begun
    dispositions_seen: int = 0
    refused: int = 0  # actions the bot refused (a teammate was quicker): a person's race
    direct_replies: Counter[str] = field(default_factory=Counter)  # see _count_direct_reply
    _users: dict[int, SimulatedUser] = field(default_factory=dict)
    _locks: dict[int, asyncio.Lock] = field(default_factory=dict)
    _expecting: dict[int, list[_Expectation]] = field(default_factory=dict)
    _presses: dict[str, asyncio.Future[CallbackAnswer]] = field(default_factory=dict)
    _read_calls: int = 0
    _seen_message: dict[int, int] = field(default_factory=dict)  # chat -> last message id read
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _rng: random.Random = field(default_factory=random.Random)
    _waiting: dict[int, str] = field(default_factory=dict)  # official -> what they wait for

    def __post_init__(self) -> None:
        self._users = {user.id: user for user in self.emulator.users}

    # --- watching Telegram ----------------------------------------------------------------

    async def watch(self) -> None:
        """Read each call the bot makes, once, as it happens: the one waiter on the emulator's
        change signal (thousands of waiting officials would each be woken by every change)."""
        state = self.emulator.state
        while not state.stopping:
            await state.signal.wait_until(
                lambda: len(state.calls) > self._read_calls or state.stopping, None
            )
            calls = state.calls
            for call in calls[self._read_calls :]:
                self._on_call(call)
            self._read_calls = len(calls)

    def _on_call(self, call: ApiCall) -> None:
        if call.status != 200:
            return
        method = call.method.lower()
        if method in MESSAGE_METHODS:
            self._read_chat(int(str(call.params["chat_id"])))
        elif method == "answercallbackquery":
            query_id = str(call.params.get("callback_query_id"))
            waiting = self._presses.pop(query_id, None)
            query = self.emulator.state.callback_queries.get(query_id)
            if waiting is not None and not waiting.done() and query and query.answer:
                waiting.set_result(query.answer)

    def _read_chat(self, chat_id: int) -> None:
        chat = self.emulator.state.chats.get(chat_id)
        if chat is None:
            return
        for message_id in range(self._seen_message.get(chat_id, 0) + 1, chat.next_message_id):
            message = chat.messages.get(message_id)
            if message is not None and message.from_bot:
                self._on_bot_message(chat, message)
        self._seen_message[chat_id] = chat.next_message_id - 1

    def _on_bot_message(self, chat: ChatState, message: StoredMessage) -> None:
        self._count_direct_reply(chat, message)
        waiting = self._expecting.get(chat.id, [])
        for expectation in list(waiting):
            if not expectation.arrived.done() and expectation.matches(message):
                expectation.arrived.set_result(message)
                waiting.remove(expectation)
                return
        text = _text_of(message)
        if self.plan is None or not text.startswith(DISPOSITION) or not _live(message):
            return  # before the day begins nobody is at work: that is the backlog's
        if self.plan.neglected in text:
            return
        self.dispositions_seen += 1
        self._spawn(self._act_on(self._users[chat.id], message.message_id))

    def _count_direct_reply(self, chat: ChatState, message: StoredMessage) -> None:
        """Count the answers that name what they answer (an upload's file, a start's title):
        a handler run twice for one update would show as one of them twice. (Outbox messages
        are checked against the outbox; these are sent directly.)"""
        text = _text_of(message)
        if text.startswith(RECEIVED):
            self.direct_replies[f"{chat.id}: {text.split(' (', 1)[0]}"] += 1
        elif text.startswith(STARTED):
            self.direct_replies[f"{chat.id}: {text.split(' dimulai', 1)[0]}"] += 1

    # --- what an official does --------------------------------------------------------------

    def _spawn(self, work: Any) -> None:
        self.busy += 1
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.busy -= 1
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            failure = task.exception()
            assert failure is not None
            self._error("".join(traceback.format_exception(failure)[-3:]))

    def _error(self, problem: str) -> None:
        """Keep a problem for the report, and say it at once (the run may then be stuck)."""
        self.errors.append(problem)
        print(f"officials: {problem}", file=sys.stderr, flush=True)

    def _lock(self, user: SimulatedUser) -> asyncio.Lock:
        return self._locks.setdefault(user.id, asyncio.Lock())

    async def _think(self) -> None:
        assert self.plan is not None
        await asyncio.sleep(self._rng.uniform(*self.plan.think))

    def _expect(self, user: SimulatedUser, matches: Callable[[StoredMessage], bool]) -> Any:
        """Wait (registered before acting, so no answer can slip by) for a bot message."""
        arrived: asyncio.Future[StoredMessage] = asyncio.get_running_loop().create_future()
        self._expecting.setdefault(user.id, []).append(_Expectation(matches, arrived))
        return arrived

    async def _answer(self, user: SimulatedUser, arrived: Any, what: str) -> StoredMessage | None:
        self._waiting[user.id] = what
        try:
            message: StoredMessage = await asyncio.wait_for(arrived, ANSWER_WAIT)
        except TimeoutError:
            self._error(f"{user.first_name}: no answer to {what} in {ANSWER_WAIT:.0f} s")
            print(user.transcript()[-3000:], file=sys.stderr, flush=True)
            return None
        finally:
            self._waiting.pop(user.id, None)
        return message

    def _record(
        self, kind: str, chat: int, *, query_id: str | None = None, message_id: int | None = None
    ) -> None:
        state = self.emulator.state
        update_id = state.updates.newest_id
        assert update_id is not None
        self.pushed.append(Pushed(update_id, kind, chat, state.monotonic(), query_id, message_id))

    async def _say(
        self, user: SimulatedUser, text: str, answer: Callable[[StoredMessage], bool]
    ) -> StoredMessage | None:
        arrived = self._expect(user, answer)
        sent = user.send_text(text)
        self._record("text", user.id, message_id=sent.message_id)
        return await self._answer(user, arrived, repr(text[:40]))

    async def _press(
        self,
        user: SimulatedUser,
        message_id: int,
        button: str,
        answer: Callable[[StoredMessage], bool] | None = None,
    ) -> tuple[CallbackAnswer | None, StoredMessage | None]:
        """Press a button; wait for the bot to answer the press (a toast, or an alert when it
        refuses) and, when `answer` is given and the press was not refused, for the message
        that follows it. (None, None) when the button is gone or nothing came."""
        arrived = self._expect(user, answer) if answer is not None else None
        try:
            query_id = user.press(message_id, button)
        except ButtonNotFound:
            if arrived is not None:
                self._forget(user, arrived)
            return None, None
        self._record("press", user.id, query_id=query_id)
        answered: asyncio.Future[CallbackAnswer] = asyncio.get_running_loop().create_future()
        self._presses[query_id] = answered
        self._waiting[user.id] = f"the answer to the press of {button!r}"
        try:
            toast = await asyncio.wait_for(answered, ANSWER_WAIT)
        except TimeoutError:
            self._presses.pop(query_id, None)
            self._error(f"{user.first_name}: press {button!r} never answered")
            return None, None
        finally:
            self._waiting.pop(user.id, None)
        if arrived is None:
            return toast, None
        if toast.show_alert:  # refused: nothing follows
            self._forget(user, arrived)
            return toast, None
        return toast, await self._answer(user, arrived, f"the press of {button!r}")

    def _forget(self, user: SimulatedUser, arrived: Any) -> None:
        waiting = self._expecting.get(user.id, [])
        self._expecting[user.id] = [e for e in waiting if e.arrived is not arrived]

    async def _act_on(self, user: SimulatedUser, message_id: int) -> None:
        """Do one disposition as its text asks: take it (a team's), upload the document when
        one is owed, then complete it or answer its question."""
        async with self._lock(user):
            await self._think()
            message = _stored(user, message_id)
            if not _live(message):
                return  # a teammate took it meanwhile, or it was sent back
            text = _text_of(message)
            if CLAIM in _buttons(message):
                toast, _ = await self._press(user, message_id, CLAIM)
                if toast is None or toast.show_alert:
                    self.refused += 1
                    return  # a teammate was quicker
                await self._think()
            if HOW_DOCUMENT in text:
                if not await self._upload(user, message_id, text):
                    return
                await self._think()
            buttons = set(_buttons(_stored(user, message_id)))
            if YES in buttons:
                await self._decide(user, message_id, text)
            elif COMPLETE in buttons:
                toast, _ = await self._press(user, message_id, COMPLETE)
                self.refused += toast is not None and toast.show_alert

    async def _upload(self, user: SimulatedUser, message_id: int, text: str) -> bool:
        """Reply to the disposition with a small PDF; whether the bot took it."""
        name = f"dokumen-{text_hash(text)}-{message_id}.pdf"
        arrived = self._expect(user, lambda m: _text_of(m).startswith((RECEIVED, *REFUSALS)))
        sent = user.send_document(
            sample_pdf(f"Dokumen {message_id}"), name, "application/pdf", reply_to=message_id
        )
        self._record("document", user.id, message_id=sent.message_id)
        answer = await self._answer(user, arrived, f"the upload of {name}")
        if answer is None or not _text_of(answer).startswith(RECEIVED):
            self.refused += answer is not None
            return False
        return True

    async def _decide(self, user: SimulatedUser, message_id: int, text: str) -> None:
        assert self.plan is not None
        first_round = ROUND not in text
        if first_round and self._rng.random() < self.plan.refuse:
            _, asked = await self._press(
                user, message_id, NO, lambda m: _text_of(m).startswith(REASON_NO)
            )
            if asked is None:
                return
            await self._think()
            reason = REASONS[self._rng.randrange(len(REASONS))]
            await self._say(user, reason, lambda m: _text_of(m).startswith(DONE))
        else:
            await self._press(user, message_id, YES)

    async def _start(self, start: Start) -> None:
        """/mulai: the SOP's button, the title, the letter skipped, the note."""
        user = self._users[start.chat]
        async with self._lock(user):
            await self._think()
            menu = await self._say(user, "/mulai", lambda m: _text_of(m).startswith(PICK_SOP))
            if menu is None:
                return
            await self._think()
            _, asked = await self._press(
                user,
                menu.message_id,
                start.sop_button,
                lambda m: _text_of(m).startswith(ASK_TITLE),
            )
            if asked is None:
                self._error(f"{user.first_name}: /mulai offered no {start.sop_button!r}")
                return
            await self._think()
            letter = await self._say(
                user, start.title, lambda m: _text_of(m).startswith(ASK_NUMBER)
            )
            if letter is None:
                return
            await self._think()
            _, note = await self._press(
                user, letter.message_id, SKIP, lambda m: _text_of(m).startswith(ASK_NOTE)
            )
            if note is None:
                return
            await self._think()
            await self._say(
                user,
                start.note,
                lambda m: _text_of(m).startswith(STARTED) and start.title in _text_of(m),
            )

    async def play(self, plan: Plan) -> None:
        """Begin each start of the plan at its time (the officials then carry the work on)."""
        self.plan = plan
        self._rng = random.Random(plan.seed)
        for start in sorted(plan.starts, key=lambda s: s.at):
            delay = plan.t0 + start.at - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self.launched += 1
            self._spawn(self._start(start))

    # --- what the benchmark asks ------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Progress: updates caused, officials still busy, starts to come, errors."""
        state = self.emulator.state
        planned = len(self.plan.starts) if self.plan is not None else 0
        return {
            "pushed": len(self.pushed),
            "busy": self.busy,
            "starts_left": planned - self.launched,
            "pending_updates": len(state.updates),
            "errors": len(self.errors),
            "webhooks_set": sum(1 for c in state.calls if c.method.lower() == "setwebhook"),
            "dispositions_seen": self.dispositions_seen,
            "refused": self.refused,
            "flood_refusals": self.emulator.faults.flood_refusals,
            "waiting": [f"{chat}: {what}" for chat, what in list(self._waiting.items())[:5]],
        }

    def report(self) -> dict[str, Any]:
        """Telegram's side of the run, for the benchmark's figures and checks."""
        state = self.emulator.state
        delivered: dict[int, list[list[Any]]] = {}
        for delivery in state.webhook_deliveries:
            delivered.setdefault(delivery.update_id, []).append(
                [delivery.status, delivery.sent_at, delivery.answered_at]
            )
        answers: dict[str, float] = {}
        in_chat: dict[int, list[float]] = {}
        sent: list[list[Any]] = []
        refusals: Counter[str] = Counter()
        for call in state.calls:
            method = call.method.lower()
            if call.status == 429:
                refusals[call.method] += 1
            if method == "answercallbackquery" and call.status == 200:
                answers.setdefault(str(call.params.get("callback_query_id")), call.at)
            if method in MESSAGE_METHODS | EDIT_METHODS:
                entry = _sent_entry(call, method)
                if entry is not None:
                    sent.append(entry)
                    if call.status == 200:
                        in_chat.setdefault(int(entry[1]), []).append(call.at)
        updates = [
            [
                p.update_id,
                p.kind,
                p.chat,
                p.at,
                p.query_id,
                p.message_id,
                *_reply(p, delivered, answers, in_chat),
            ]
            for p in self.pushed
        ]
        return {
            "updates": updates,
            "deliveries": {str(k): v for k, v in delivered.items()},
            "sent": sent,
            "flood_refusals": self.emulator.faults.flood_refusals,
            "refusals_by_method": dict(refusals),
            "early_retries": early_retries(
                [c for c in state.calls if c.method.lower() in MESSAGE_METHODS | EDIT_METHODS]
            ),
            "errors": self.errors[:50],
            "error_count": len(self.errors),
            "dispositions_seen": self.dispositions_seen,
            "refused_actions": self.refused,
            "direct_replies": len(self.direct_replies),
            "direct_replies_twice": [k for k, n in self.direct_replies.items() if n > 1][:20],
            "press_answers_refused": sum(
                1
                for call in state.calls
                if call.method.lower() == "answercallbackquery" and call.status != 200
            ),
        }


def _reply(
    pushed: Pushed,
    delivered: dict[int, list[list[Any]]],
    answers: dict[str, float],
    in_chat: dict[int, list[float]],
) -> list[float | None]:
    """[delivered (the POST that got 200 went out), answered (the webhook's 200), replied (the
    bot's first answer: the press's answerCallbackQuery, or the first message or edit in the
    chat after the delivery)]."""
    good = [d for d in delivered.get(pushed.update_id, []) if d[0] == 200]
    if not good:
        return [None, None, None]
    _, sent_at, answered_at = good[0]
    if pushed.query_id is not None:
        replied = answers.get(pushed.query_id)
    else:
        replied = next((at for at in in_chat.get(pushed.chat, []) if at >= sent_at), None)
    return [sent_at, answered_at, replied]


def _sent_entry(call: ApiCall, method: str) -> list[Any] | None:
    """[method, chat, digest of the text or caption, message id (edits), status, at,
    description]: a message call as the checks compare it with the outbox."""
    chat = call.params.get("chat_id")
    if chat is None:
        return None
    if method == "senddocument" or method == "sendphoto":
        content = str(call.params.get("caption") or "")
    else:
        content = str(call.params.get("text") or "")
    message_id = call.params.get("message_id") if method in EDIT_METHODS else None
    return [
        method,
        int(str(chat)),
        text_hash(content),
        int(str(message_id)) if message_id is not None else None,
        call.status,
        call.at,
        call.description,
        content[:24] if content.startswith(("⏰", "🚨")) else None,  # alerts, for counting
    ]


def _text_of(message: StoredMessage) -> str:
    content = message.text or message.caption
    return content.text if content is not None else ""


def _buttons(message: StoredMessage) -> list[str]:
    return [text for row in button_texts(message.reply_markup) for text in row]


def _live(message: StoredMessage) -> bool:
    return bool({COMPLETE, YES, CLAIM} & set(_buttons(message)))


def _stored(user: SimulatedUser, message_id: int) -> StoredMessage:
    return user._chat.messages[message_id]


DISPOSITION = _plain("disposition.header")
HOW_DOCUMENT = _plain("disposition.how_document")
ROUND = _plain("disposition.round")
PICK_SOP = _plain("start.pick_sop")
ASK_TITLE = _plain("start.ask_title")[:30]
ASK_NUMBER = _plain("letters.ask_number")[:30]
ASK_NOTE = _plain("start.ask_note")[:30]
STARTED = _plain("start.started")
RECEIVED = _plain("document.received")
REASON_NO = _plain("ask.reason_no")
DONE = _plain("answer.done")
# What the bot answers when it refuses an action (a teammate was quicker, the step moved on).
REFUSALS = tuple(
    _plain(key)
    for key in (
        "answer.already_done",
        "answer.moved",
        "answer.not_yours",
        "answer.not_open",
        "answer.not_running",
        "answer.invalid_button",
        "document.duplicate",
        "document.no_task",
        "document.which_step",
    )
)


async def _serve(users: int) -> None:
    emulator = BotApiEmulator()
    await emulator.start()
    emulator.faults.enable_flood_limits()
    ids = [emulator.add_user(f"Pegawai{n}", started=True).id for n in range(users)]
    officials = Officials(emulator)
    watcher = asyncio.create_task(officials.watch())
    print(json.dumps({"port": emulator.port, "token": emulator.token, "users": ids}), flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=64 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    player: asyncio.Task[None] | None = None
    while line := await reader.readline():
        command, _, rest = line.decode().strip().partition(" ")
        if command == "plan":
            plan = Plan.from_json(json.loads(rest))
            player = asyncio.create_task(officials.play(plan))
            answer: dict[str, Any] = {"planned": len(plan.starts)}
        elif command == "status":
            answer = officials.status()
        elif command == "report":
            answer = officials.report()
        elif command == "stop":
            break
        else:
            answer = {"error": f"unknown command {command!r}"}
        print(json.dumps(answer), flush=True)
    if player is not None:
        player.cancel()
    await emulator.stop()
    watcher.cancel()


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(_serve(args.users))


if __name__ == "__main__":
    main()
