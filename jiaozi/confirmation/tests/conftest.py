"""Fixtures of confirmation's tests (helpers in ``factories``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jiaozi.core import clock

from ..references import Reference
from ..testing import MemoryReferences
from .factories import NOW, Site, applicant, make_site


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.travel(NOW):
        yield


@pytest.fixture
def refs() -> Iterator[MemoryReferences]:
    source = MemoryReferences.install()
    yield source
    source.uninstall()


@pytest.fixture
def site(db: None) -> Site:
    return make_site()


@pytest.fixture
def record(site: Site, refs: MemoryReferences) -> Reference:
    """A bookable record of a fresh applicant at the site's authority."""
    return refs.add(applicant=applicant(), authority=site.authority)
