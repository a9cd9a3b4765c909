"""Stateful API tests (issue 14, deliverable 5): schemathesis chains operations along the
links it infers from the OpenAPI document (an id a create answers feeds the operations
that take that id) and validates every answer against its documented status, content
type, headers and body schema. A scenario is a sequence of calls by one institution admin
in its own jurisdiction, so the links reach the objects the calls create."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jiaozi.accounts.roles import Role
from jiaozi.core.api.testing import service_token, staff_user
from jiaozi.orgs.tests.factories import LUYANG, bureau

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/v1/openapi.json"
# The wings whose objects this caller creates and then reads, changes and removes:
# announcements with their attachments, confirmation points with their days and slots.
CHAINED = r"^/api/v1/(announcements|announcement-attachments|confirmation/(points|days|slots))"
EXAMPLES = 25
STEPS = 5
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def app() -> Iterator[Any]:
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def token() -> str:
    # The institution admin of a county files confirmation points, days and slots,
    # announcements and campaigns' extensions: the links reach what it creates.
    return service_token(staff_user(bureau(LUYANG), Role.INSTITUTION_ADMIN))


def test_linked_operations_answer_as_documented(app: Any, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, app, headers=headers).include(path_regex=CHAINED)
    base = schema.as_state_machine()
    # The links are inferred from the document: without them there is no chain to walk.
    assert schema.statistic.transitions.selected >= 20, schema.statistic.transitions.selected
    followed: list[tuple[str, int]] = []

    class Machine(base):  # type: ignore[misc,valid-type]
        def step(self, input: Any) -> Any:
            output = super().step(input)
            if input.transition is not None:
                followed.append((input.case.operation.label, output.response.status_code))
            return output

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": {**(case.headers or {}), **headers}}

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        ),
    )
    # Links were followed: the chains ran, each answer checked against its schema.
    assert followed
