"""The parameters of one Bot API call, from a JSON body, a form, multipart or a query string.

Forms carry every value as a string (python-telegram-bot JSON-encodes nested objects such as
reply_markup into a string), while a JSON body carries real types; the accessors accept both
and refuse what Telegram refuses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sopbot.emulator.errors import bad_request

_INTEGER = re.compile(r"-?[0-9]+")


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file that came in a multipart part."""

    field: str
    file_name: str
    content: bytes
    content_type: str


class Params:
    """The parameters of one call with typed access that refuses like the Bot API."""

    def __init__(self, values: Mapping[str, object], files: Mapping[str, UploadedFile]) -> None:
        self._values = dict(values)
        self._files = dict(files)

    def raw(self, name: str) -> object:
        """The value as it came (None when absent or empty)."""
        value = self._values.get(name)
        return None if value == "" else value

    def has(self, name: str) -> bool:
        """Whether the call carries this parameter (or a file under this name)."""
        return self.raw(name) is not None or name in self._files

    def required_integer(self, name: str, missing: str) -> int:
        """An Integer parameter that must be there; `missing` is the refusal when it is not."""
        value = self.integer(name)
        if value is None:
            raise bad_request(missing)
        return value

    def integer(self, name: str) -> int | None:
        """An Integer parameter, None when absent."""
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, bool):
            raise bad_request(f'parameter "{name}" must be an Integer')
        if isinstance(value, int):
            return value
        if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
            return int(value)
        raise bad_request(f'parameter "{name}" must be an Integer')

    def number(self, name: str) -> float | None:
        """A Float (or Integer) parameter, None when absent."""
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise bad_request(f'parameter "{name}" must be a Float')

    def required_string(self, name: str, missing: str) -> str:
        """A non-empty String parameter; `missing` is the refusal when it is absent or empty."""
        value = self.string(name)
        if not value:
            raise bad_request(missing)
        return value

    def string(self, name: str) -> str | None:
        """A String parameter (numbers are taken as their text, as Telegram does)."""
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        if isinstance(value, str):
            return value
        raise bad_request(f'parameter "{name}" must be a String')

    def boolean(self, name: str) -> bool:
        """A Boolean parameter, false when absent."""
        value = self.raw(name)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "1", "false", "0"):
            return value.lower() in ("true", "1")
        if isinstance(value, int):
            return value != 0
        raise bad_request(f'parameter "{name}" must be a Boolean')

    def json_value(self, name: str, what: str | None = None) -> object:
        """An object or array parameter, decoded when a form sent it as a JSON string."""
        value = self.raw(name)
        if not isinstance(value, str):
            return value
        try:
            decoded: object = json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {what or name} JSON object") from None
        return decoded

    def json_object(self, name: str, what: str | None = None) -> dict[str, Any] | None:
        """An Object parameter."""
        value = self.json_value(name, what)
        if value is None or isinstance(value, dict):
            return value
        raise bad_request(f"can't parse {what or name} JSON object")

    def json_array(self, name: str, what: str | None = None) -> list[Any] | None:
        """An Array parameter."""
        value = self.json_value(name, what)
        if value is None or isinstance(value, list):
            return value
        raise bad_request(f"can't parse {what or name} JSON array")

    def file(self, name: str) -> UploadedFile | str | None:
        """An InputFile: an uploaded part (directly or as attach://part) or a file_id / URL."""
        if name in self._files:
            return self._files[name]
        value = self.string(name)
        if value and value.startswith("attach://"):
            part = value.removeprefix("attach://")
            if part not in self._files:
                raise bad_request(f"file attached as {part!r} not found in the request")
            return self._files[part]
        return value or None

    def chat_id(self, name: str = "chat_id") -> int | str | None:
        """A chat identifier: an Integer, or an @username string."""
        value = self.raw(name)
        if value is None:
            return None
        if isinstance(value, str) and value.startswith("@"):
            return value
        if isinstance(value, str) and not _INTEGER.fullmatch(value.strip()):
            raise bad_request("chat not found")
        return self.integer(name)

    def for_log(self) -> dict[str, Any]:
        """The parameters for the call log: files become a short description, not their bytes."""
        logged: dict[str, Any] = dict(self._values)
        for name, upload in self._files.items():
            logged[name] = f"<file {upload.file_name!r}, {len(upload.content)} bytes>"
        return logged
