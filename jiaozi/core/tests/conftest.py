"""Fixtures of the core tests: a school to hang teachers on, created directly (the
orgs data migration may already have made the division and its bureau)."""

from __future__ import annotations

from typing import Any

import pytest

from jiaozi.orgs.models import Division, Institution


@pytest.fixture
def school(db: Any) -> Institution:
    province, _ = Division.objects.get_or_create(
        code="340000", defaults={"name": "安徽省", "level": "province"}
    )
    city, _ = Division.objects.get_or_create(
        code="340100", defaults={"name": "合肥市", "level": "city", "parent": province}
    )
    county, _ = Division.objects.get_or_create(
        code="340103", defaults={"name": "庐阳区", "level": "county", "parent": city}
    )
    bureau, _ = Institution.objects.get_or_create(
        code="340103",
        defaults={"name": "庐阳区教育体育局", "kind": "bureau", "level": "county", "division": county},
    )
    school, _ = Institution.objects.get_or_create(
        code="3401039901",
        defaults={
            "name": "核心测试学校",
            "kind": "school",
            "level": "county",
            "division": county,
            "parent": bureau,
            "ownership": "public",
            "stage": "junior",
        },
    )
    return school
