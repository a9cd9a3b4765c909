"""Input types and pagination shared by every router.

Bounds are part of the schema, so clients (and schemathesis) see them and the database
never receives what it cannot hold: ids fit a signed 64-bit integer, offsets stay
reasonable, and text carries no control characters (PostgreSQL refuses NUL bytes)."""

from __future__ import annotations

from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Path, Schema
from ninja.pagination import PaginationBase
from pydantic import StringConstraints, model_validator

MAX_ID = 2**63 - 1
MAX_OFFSET = 1_000_000
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

# Printable text: no C0 control characters and no DEL (tabs and newlines included, so
# a line break cannot be smuggled into a one-line field or a log line).
SINGLE_LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"

ObjectId = Annotated[int, Path(ge=1, le=MAX_ID, description="记录编号")]
# An id inside a JSON body or a query (``list[BodyId]`` for several): out of range is a
# 400 like any other invalid value, never a database overflow.
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]


def text(*, max_length: int, min_length: int = 0, pattern: str = SINGLE_LINE_PATTERN) -> Any:
    """A single-line string, surrounding whitespace stripped, within the given length."""
    return Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=pattern
        ),
    ]


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="每页条数")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="跳过的条数")


class Page(PaginationBase):
    """``?limit=&offset=`` → ``{"count", "limit", "offset", "items"}``."""

    Input = PageParams  # type: ignore[assignment]

    class Output(Schema):
        count: int
        limit: int
        offset: int
        items: list[Any]

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: PageParams, request: HttpRequest, **params: Any
    ) -> Any:
        offset, limit = pagination.offset, pagination.limit
        return {
            "count": self._items_count(queryset),
            "limit": limit,
            "offset": offset,
            "items": queryset[offset : offset + limit],
        }


class ObjectIn(Schema):
    """A request body whose fields are all optional. Ninja's schemas read their input by
    attribute, so without this a body that is not a JSON object (a bare number, a list)
    would validate as "every field left out"; here it is refused with a 422 like any
    other invalid body."""

    @model_validator(mode="before")
    @classmethod
    def _a_json_object(cls, data: Any) -> Any:
        if not isinstance(getattr(data, "_obj", data), dict):
            raise ValueError("请求体必须是 JSON 对象。")
        return data
