"""Out-of-range integers are bad input, never a server error (SECURITY 29).

Every integer the API reads — in a path, a query or a JSON body, alone or in a list — is
bounded in the OpenAPI document, within what the database holds (a signed 64-bit id);
an id of 2**64 anywhere answers 400 problem+json and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from config.api import api
from jiaozi.accounts.roles import Role
from jiaozi.core.api.schemas import MAX_ID
from jiaozi.core.api.testing import staff_user, token_client
from jiaozi.orgs.tests.factories import LUYANG, bureau

pytestmark = pytest.mark.django_db

TOO_BIG = 2**64


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _integers(
    schema: dict[str, Any], components: dict[str, Any], where: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every integer schema inside ``schema`` with the dotted place it is read from."""
    schema = _resolve(schema, components)
    if schema.get("type") == "integer":
        yield where, schema
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            yield from _integers(part, components, where)
    if "items" in schema:
        yield from _integers(schema["items"], components, f"{where}[]")
    for name, prop in schema.get("properties", {}).items():
        yield from _integers(prop, components, f"{where}.{name}")


def _inputs() -> list[tuple[str, dict[str, Any]]]:
    document = api.get_openapi_schema()
    components = document.get("components", {}).get("schemas", {})
    found: list[tuple[str, dict[str, Any]]] = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            label = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                where = f"{label} {parameter['in']}:{parameter['name']}"
                found.extend(_integers(parameter.get("schema", {}), components, where))
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                found.extend(_integers(content.get("schema", {}), components, f"{label} body({media})"))
    return found


def test_every_integer_input_is_bounded_within_a_database_id() -> None:
    inputs = _inputs()
    assert inputs  # ids, versions, years, limits …
    unbounded = [
        where
        for where, schema in inputs
        if ("minimum" not in schema and "exclusiveMinimum" not in schema)
        or ("maximum" not in schema and "exclusiveMaximum" not in schema)
        or schema.get("maximum", schema.get("exclusiveMaximum", 0)) > MAX_ID
        or schema.get("minimum", schema.get("exclusiveMinimum", 0)) < -MAX_ID
    ]
    assert unbounded == []


@pytest.fixture
def reviewer_api() -> Any:
    return token_client(staff_user(bureau(LUYANG), Role.REGISTRATION_REVIEWER))


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/v1/registration/notices", {"application_ids": [TOO_BIG]}),
        ("post", "/api/v1/registration/notices", {"application_ids": [-TOO_BIG]}),
        (
            "post",
            "/api/v1/registration/batch-transitions",
            {"action": "conclude", "items": [{"application_id": TOO_BIG, "version": 1}]},
        ),
        (
            "post",
            "/api/v1/registration/applications/1/transitions",
            {"action": "conclude", "version": TOO_BIG},
        ),
        ("get", f"/api/v1/registration/applications/{TOO_BIG}", None),
        ("get", f"/api/v1/registration/applications?school={TOO_BIG}", None),
        ("get", f"/api/v1/registration/applications?limit={TOO_BIG}", None),
        ("get", f"/api/v1/registration/materials/{TOO_BIG}", None),
        ("get", f"/api/v1/staff?institution_id={TOO_BIG}", None),
    ],
)
def test_an_id_out_of_range_is_400(reviewer_api: Any, method: str, url: str, body: Any) -> None:
    response = reviewer_api.post_json(url, body) if method == "post" else reviewer_api.get(url)
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "validation_failed"
