"""Institution helpers for tests in every app.

The divisions and education bureaus come from the data migration (every test database
has them); ``bureau("340103")`` fetches one. ``school(...)``, ``department(...)`` and
``confirmation_point(...)`` create institutions placed the way ``institution_create``
demands. Tests that flush the database (``transactional_db``) lose the migration
data; the helpers reload it when it is missing.

    from jiaozi.orgs.tests.factories import bureau, school, department
    s = school("3401030001")                      # a 庐阳区 school, reviewed by its bureau
    d = department("340100ZG01", division="340100")  # a 合肥市 主管部门
    s2 = school("3401000001", reviewer=d)         # a city-direct school
"""

from __future__ import annotations

from typing import Any, cast

import factory
from factory.django import DjangoModelFactory

from jiaozi.orgs.divisions import ensure_province
from jiaozi.orgs.models import Division, Institution

PROVINCE = "340000"
HEFEI = "340100"
WUHU = "340200"
ANQING = "340800"
LUYANG = "340103"  # county A of the demo
YAOHAI = "340102"  # county B of the demo
SUSONG = "340826"  # 省直管县
GUANGDE = "341882"  # 省直管县


def ensure_divisions() -> None:
    """Reload Anhui when a flushed database lost the migration data."""
    ensure_province("anhui")


def bureau(code: str = PROVINCE) -> Institution:
    """The education bureau of division ``code``."""
    ensure_divisions()
    return Institution.objects.select_related("division").get(kind=Institution.Kind.BUREAU, code=code)


class InstitutionFactory(DjangoModelFactory):
    """A school under the 庐阳区 bureau by default; pass ``parent`` / ``division`` /
    ``kind`` / ``level`` for anything else (``save`` computes the path)."""

    class Meta:
        model = Institution
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"9{n:09d}")
    name = factory.Sequence(lambda n: f"测试学校{n}")
    kind = Institution.Kind.SCHOOL
    level = factory.LazyAttribute(lambda o: o.parent.level)
    parent = factory.LazyFunction(lambda: bureau(LUYANG))
    division = factory.LazyAttribute(lambda o: o.parent.division)
    ownership = factory.LazyAttribute(lambda o: Institution.Ownership.PUBLIC if o.kind == "school" else "")
    stage = factory.LazyAttribute(lambda o: Institution.Stage.JUNIOR if o.kind == "school" else "")


def school(
    code: str,
    county: str = LUYANG,
    *,
    reviewer: Institution | None = None,
    name: str | None = None,
    **kw: Any,
) -> Institution:
    """A school located in ``county``, reviewed by ``reviewer`` (default: the county's
    bureau). Its level is the reviewer's level."""
    parent = reviewer or bureau(county)
    ensure_divisions()
    return cast(
        Institution,
        InstitutionFactory(
            code=code,
            name=name or f"学校{code}",
            kind=Institution.Kind.SCHOOL,
            parent=parent,
            level=parent.level,
            division=Division.objects.get(code=county),
            **kw,
        ),
    )


def department(code: str, division: str = HEFEI, *, name: str | None = None, **kw: Any) -> Institution:
    """A 主管部门 under the bureau of ``division`` (its level and division)."""
    parent = bureau(division)
    return cast(
        Institution,
        InstitutionFactory(
            code=code,
            name=name or f"主管部门{code}",
            kind=Institution.Kind.DEPARTMENT,
            parent=parent,
            level=parent.level,
            division=parent.division,
            ownership="",
            stage="",
            **kw,
        ),
    )


def confirmation_point(
    code: str, division: str = LUYANG, *, name: str | None = None, **kw: Any
) -> Institution:
    """A 确认点 under the bureau of ``division``."""
    parent = bureau(division)
    return cast(
        Institution,
        InstitutionFactory(
            code=code,
            name=name or f"确认点{code}",
            kind=Institution.Kind.CONFIRMATION_POINT,
            parent=parent,
            level=parent.level,
            division=parent.division,
            ownership="",
            stage="",
            **kw,
        ),
    )
