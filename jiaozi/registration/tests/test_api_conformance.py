"""The operations on one application, called by schemathesis with ids that exist — an
application with materials in the reviewer's jurisdiction — so the answers a reviewer
and the applicant really get (details with materials, timelines, downloads,
transitions) are checked against their response schemas, not only the 404s of random
ids (SECURITY 29; the whole API's run is in jiaozi/core/tests/test_api_schemathesis.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given

from jiaozi.core import clock
from jiaozi.core.api.testing import service_token
from jiaozi.core.tests.test_api_schemathesis import POSITIVE_CHECKS, SCHEMA_URL, _settings
from jiaozi.core.tests.test_api_schemathesis import app as app
from jiaozi.registration.applications import materials
from jiaozi.registration.models import Application, Material
from jiaozi.registration.tests.factories_applications import OPEN, Chain, application, chain
from jiaozi.registration.tests.test_materials import pdf_bytes
from jiaozi.registration.workflow import Status

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

EXAMPLES = 6


@pytest.fixture(autouse=True)
def at_open() -> Iterator[None]:
    with clock.travel(OPEN):
        yield


@pytest.fixture
def c() -> Chain:
    return chain()


@pytest.fixture
def known(c: Chain) -> dict[str, int]:
    app = application(c, status=Status.DRAFT)
    material = materials.material_upload(
        applicant=c.applicant,
        application_id=app.pk,
        kind=Material.Kind.CERTIFICATE,
        file=SimpleUploadedFile("证书.pdf", pdf_bytes(), "application/pdf"),
    )
    Application.objects.filter(pk=app.pk).update(status=Status.SCHOOL_REVIEW)
    return {"application_id": app.pk, "material_id": material.pk}


def test_operations_on_an_application_conform_for_its_reviewer(
    app: Any,
    c: Chain,
    known: dict[str, int],
) -> None:
    headers = {"Authorization": f"Bearer {service_token(c.school_reviewer)}"}
    schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, app, headers=headers)
    every: list[Any] = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    operations = [
        op for op in every if {"application_id", "material_id"} & {p.name for p in op.path_parameters}
    ]
    assert len(operations) >= 8
    for operation in operations:

        @_settings(examples=EXAMPLES)
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            for name, value in known.items():
                if case.path_parameters and name in case.path_parameters:
                    case.path_parameters[name] = value
            case.headers = {**(case.headers or {}), **headers}
            response = case.call()
            case.validate_response(response, checks=POSITIVE_CHECKS)

        run()
