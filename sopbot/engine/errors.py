"""Domain errors: an invalid move on a running procedure, named so the UI can explain it.

Each error has a stable `code` (used as the message-catalog key by the Telegram layer) and the
values the message needs. The engine never formats user-facing text itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class SopbotError(Exception):
    """The root of every error sopbot raises on purpose (see docs/architecture.md, "Errors").

    Below it: `DomainError` (a refusal the person is told about, nothing changed) and the
    storage errors (`sopbot.storage.errors`: a write that met a concurrent one). Anything else
    that reaches a handler is a bug: it is logged with its traceback, and the person is told
    that something went wrong.
    """


class DomainError(SopbotError):
    """Base of every refusal the engine gives; nothing changed when one is raised."""

    code: ClassVar[str] = "domain_error"
    _by_code: ClassVar[dict[str, type[DomainError]]] = {}

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.params: Mapping[str, object] = params

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        DomainError._by_code[cls.code] = cls

    @classmethod
    def from_code(cls, code: str, message: str, params: Mapping[str, object]) -> DomainError:
        """Rebuild a recorded refusal (for a replayed command) as the error it was."""
        error_type = DomainError._by_code.get(code, DomainError)
        return error_type(message, **dict(params))


class InstanceNotRunning(DomainError):
    """The procedure has finished or was cancelled."""

    code = "instance_not_running"


class StepNotOpen(DomainError):
    """The step is no longer waiting for anyone (completed, returned or cancelled)."""

    code = "step_not_open"


class AlreadyDone(DomainError):
    """Someone else acted first; `by_member_id` says who."""

    code = "already_done"


class NotYourStep(DomainError):
    """The person acting is not the one the step is assigned to."""

    code = "not_your_step"


class DocumentRequired(DomainError):
    """The step's output is a document and none was uploaded."""

    code = "document_required"


class ReasonRequired(DomainError):
    """Sending work back, handing over or cancelling needs a reason."""

    code = "reason_required"


class NotADecision(DomainError):
    """A decision answer was given on a step that is not a decision, or the reverse."""

    code = "not_a_decision"


class NothingToReturnTo(DomainError):
    """The first step cannot be sent back: no step came before it."""

    code = "nothing_to_return_to"


class CannotClaim(DomainError):
    """Claiming is for steps any one of several holders may take."""

    code = "cannot_claim"


class InvalidHandOver(DomainError):
    """A step cannot be handed to the person who already holds it, or to nobody."""

    code = "invalid_hand_over"


class NotAllowed(DomainError):
    """The person may not do this to the procedure (e.g. cancel someone else's)."""

    code = "not_allowed"


class StepMoved(DomainError):
    """The disposition was handed over or rerouted; `to_member_id` has it now, if known."""

    code = "step_moved"


class UnknownSop(DomainError):
    """No SOP with this id is loaded for the agency."""

    code = "unknown_sop"


class UnknownMember(DomainError):
    """No such member in the agency (e.g. as the target of a hand-over)."""

    code = "unknown_member"


class NotFound(DomainError):
    """What a button or a command names does not exist (or belongs to another agency): an old
    button, a mistyped number. `what` names the kind of thing ("instance", "disposition"...)."""

    code = "not_found"


class NotServingRole(DomainError):
    """An admin moved a step to someone who does not serve its role (neither holds a position
    mapped to it nor acts for one as Plt/Plh), or who is the step's holder already."""

    code = "not_serving_role"
