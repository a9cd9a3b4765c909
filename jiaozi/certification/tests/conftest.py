"""Certification's reference data (the authority codes, the Anhui 2024 batch) for every
database test, also after a transactional test flushed the tables."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _certification_reference(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("django_db") is None and "db" not in request.fixturenames:
        return
    request.getfixturevalue("_reference_data")
    from jiaozi.certification.reference import ensure_anhui

    ensure_anhui()
