"""Domain errors with a stable code; pages turn them into responses through
``jiaozi.core.boundary``, the API into ``application/problem+json``.

Field errors have one shape: ``field_errors``, a mapping from a field name to its
messages (``DomainError(message, code=..., field_errors={"name": ["..."]})``). A
message given as a plain string counts as a one-item list. ``message`` is the summary
shown when no field applies (docs/decisions/0140)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Self

FieldErrors = Mapping[str, str | Sequence[str]]

_OLD_SHAPES = frozenset({"field", "fields", "errors"})


def _normalise(field_errors: FieldErrors | None) -> dict[str, list[str]]:
    normalised: dict[str, list[str]] = {}
    for name, messages in (field_errors or {}).items():
        if isinstance(messages, str) or not isinstance(messages, Iterable):
            normalised.setdefault(str(name), []).append(str(messages))
        else:
            normalised.setdefault(str(name), []).extend(str(m) for m in messages)
    return normalised


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field_errors: FieldErrors | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.field_errors: dict[str, list[str]] = _normalise(field_errors)
        if _OLD_SHAPES.intersection(details):
            # One shape (docs/decisions/0140): a field error given any other way would
            # silently become context and never reach the form or the problem body.
            old = sorted(_OLD_SHAPES.intersection(details))
            raise TypeError(f"field errors go in field_errors=, not {old}")
        self.details = details

    @classmethod
    def on_field(cls, field: str, message: str, *, code: str | None = None, **details: Any) -> Self:
        """The error of one field whose message is also the summary."""
        return cls(message, code=code, field_errors={field: [message]}, **details)

    def error_list(self) -> list[dict[str, str]]:
        """Field errors flattened, one ``{"field", "message"}`` per message, in order."""
        return [
            {"field": name, "message": m} for name, messages in self.field_errors.items() for m in messages
        ]


class ValidationFailed(DomainError):
    status = 400
    code = "validation_failed"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class WindowClosed(DomainError):
    status = 409
    code = "window_closed"
