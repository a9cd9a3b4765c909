"""Property-based tests of the whole API against its own OpenAPI document (SECURITY 29).

The schema is loaded from the WSGI application the way a client would — with a service
token, since anonymous callers get 404 for it — and every operation is called with
generated valid and invalid data: no 5xx, every status, content type, header and body
as documented, invalid input refused with 4xx. Without credentials every operation
answers 401 problem+json. Deterministic (derandomized), no network."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from jiaozi.accounts.roles import Role
from jiaozi.core.api.testing import service_token, staff_user
from jiaozi.orgs.tests.factories import LUYANG, bureau, school

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/v1/openapi.json"
POSITIVE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
NEGATIVE_CHECKS = [*POSITIVE_CHECKS, negative_data_rejection]
# Per operation and mode. The API grows by whole routers; 12 cases each keep the suite
# near 20 s of CPU with ~35 operations while still reaching each schema's edges
# (hypothesis tries boundary values first).
EXAMPLES = 12
# Authentication is decided before any input is read: a few cases show it.
EXAMPLES_WITHOUT_AUTH = 3


def _settings(examples: int = EXAMPLES) -> Callable[[Any], Any]:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


@pytest.fixture
def app() -> Iterator[Any]:
    """The real WSGI application. Like Django's test client, keep the per-request
    connection cleanup off: it would close the connection holding the test's
    transaction (PostgreSQL)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def known() -> dict[str, int]:
    """Ids that exist in the caller's jurisdiction, so valid cases reach the happy paths
    too (random ids almost never exist)."""
    county = bureau(LUYANG)
    school("3401030001")
    return {
        "institution_id": county.pk,
        "staff_id": staff_user(county, Role.REGISTRATION_REVIEWER).pk,
    }


@pytest.fixture
def token(known: dict[str, int]) -> str:
    # An institution admin may call every operation.
    return service_token(staff_user(bureau(LUYANG), Role.INSTITUTION_ADMIN))


@pytest.fixture
def api_schema(app: Any, token: str) -> Any:
    return schemathesis.openapi.from_wsgi(SCHEMA_URL, app, headers={"Authorization": f"Bearer {token}"})


def _operations(api_schema: Any) -> list[Any]:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 9  # every router is mounted and documented
    return operations


def _use_known_ids(case: Any, known: dict[str, int]) -> None:
    for name, value in known.items():
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = value
        if isinstance(case.body, dict) and name in case.body:
            case.body[name] = value


def test_every_operation_conforms_with_auth_valid_data(
    api_schema: Any, token: str, known: dict[str, int]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for operation in _operations(api_schema):

        @_settings()
        @given(case=operation.as_strategy(), use_known=st.booleans())
        def run(case: Any, use_known: bool) -> None:
            if use_known:
                _use_known_ids(case, known)
            # The token is sent as the real header, whatever the case generated for it.
            case.headers = {**(case.headers or {}), **headers}
            response = case.call()
            case.validate_response(response, checks=POSITIVE_CHECKS)

        run()


def test_every_operation_conforms_with_auth_invalid_data(api_schema: Any, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    for operation in _operations(api_schema):

        @_settings()
        @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        def run(case: Any) -> None:
            case.headers = {**(case.headers or {}), **headers}
            response = case.call()
            case.validate_response(response, checks=NEGATIVE_CHECKS)

        run()


# Operations the public calls without signing in (each rate-limited on its own).
PUBLIC_OPERATIONS = frozenset({"objection_submit"})


def _is_public(operation: Any) -> bool:
    return not operation.definition.raw.get("security")


def test_only_the_listed_operations_are_public(api_schema: Any) -> None:
    public = {op.definition.raw["operationId"] for op in _operations(api_schema) if _is_public(op)}
    assert public == PUBLIC_OPERATIONS


def test_every_operation_is_401_without_auth(app: Any, api_schema: Any) -> None:
    for operation in _operations(api_schema):
        if _is_public(operation):
            continue

        @_settings(examples=EXAMPLES_WITHOUT_AUTH)
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
            case.headers = headers
            response = case.call()
            assert response.status_code == 401, (case.method, case.formatted_path, response.status_code)
            content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"]
            assert content_type[0].startswith("application/problem+json")
            assert response.json()["code"] == "unauthenticated"
            case.validate_response(response, checks=POSITIVE_CHECKS)

        run()


def test_schema_is_404_without_auth(app: Any) -> None:
    with pytest.raises(schemathesis.errors.LoaderError):
        schemathesis.openapi.from_wsgi(SCHEMA_URL, app)
