"""The division data the migration loads, and the loader behind it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db.models import ProtectedError

from jiaozi.orgs.divisions import (
    DivisionDataError,
    load_province,
    province_config,
    read_divisions,
    unload_province,
)
from jiaozi.orgs.models import Division, Institution
from jiaozi.orgs.tests.factories import school

pytestmark = pytest.mark.django_db


def test_migration_loads_anhui_divisions() -> None:
    assert Division.objects.filter(level="province").count() == 1
    assert Division.objects.filter(level="city", parent_id="340000").count() == 16
    assert Division.objects.filter(level="county").count() == 104
    assert set(Division.objects.filter(is_province_direct=True).values_list("code", "name")) == {
        ("340826", "宿松县"),
        ("341882", "广德市"),
    }
    # A 省直管县 stays in its city geographically.
    assert Division.objects.get(code="340826").parent_id == "340800"


def test_migration_creates_one_bureau_per_division() -> None:
    bureaus = Institution.objects.filter(kind=Institution.Kind.BUREAU)
    assert bureaus.count() == Division.objects.count() == 121
    for b in bureaus.select_related("division"):
        assert b.code == b.division_id
        assert b.level == b.division.level
    assert Institution.objects.get(code="340000").name == "安徽省教育厅"
    assert Institution.objects.get(code="340100").name == "合肥市教育局"
    assert Institution.objects.get(code="340103").name == "庐阳区教育局"
    codes = list(bureaus.values_list("authority_code", flat=True))
    assert len(set(codes)) == len(codes)
    assert all(len(c) == 3 and c.isdigit() for c in codes)


@pytest.mark.parametrize(
    ("code", "path"),
    [
        ("340000", "/340000/"),
        ("340800", "/340000/340800/"),
        ("340103", "/340000/340100/340103/"),
        ("340827", "/340000/340800/340827/"),
        # 省直管县: the bureau reports straight to the province bureau.
        ("340826", "/340000/340826/"),
        ("341882", "/340000/341882/"),
    ],
)
def test_bureau_tree(code: str, path: str) -> None:
    assert Institution.objects.get(code=code).path == path


def test_loading_again_changes_nothing() -> None:
    before = list(Institution.objects.values_list("code", "path", "name", "authority_code").order_by("code"))
    result = load_province(
        division_model=Division, institution_model=Institution, config=province_config("anhui")
    )
    assert (result.divisions_created, result.divisions_updated, result.bureaus_created) == (0, 0, 0)
    after = list(Institution.objects.values_list("code", "path", "name", "authority_code").order_by("code"))
    assert after == before


def test_loading_corrects_a_division_flag() -> None:
    Division.objects.filter(code="340826").update(is_province_direct=False)
    result = load_province(
        division_model=Division, institution_model=Institution, config=province_config("anhui")
    )
    assert result.divisions_updated == 1
    assert Division.objects.get(code="340826").is_province_direct


def _write_province(tmp_path: Path, **overrides: object) -> Path:
    (tmp_path / "toy.csv").write_text(
        "code,name,level,parent_code\n"
        "990000,测试省,province,\n"
        "990100,甲市,city,990000\n"
        "990101,甲区,county,990100\n"
        "990102,乙县,county,990100\n",
        encoding="utf-8",
    )
    config: dict[str, object] = {
        "key": "toy",
        "code": "990000",
        "name": "测试省",
        "divisions_file": "toy.csv",
        "province_direct": {"990102": "乙县"},
        "province_bureau_name": "测试省教育厅",
        "bureau_names": {"990101": "甲区教育体育局"},
    }
    config.update(overrides)
    path = tmp_path / "toy.json"
    path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return path


def test_load_divisions_command_loads_another_province(tmp_path: Path) -> None:
    call_command("load_divisions", config=str(_write_province(tmp_path)))
    assert Division.objects.get(code="990102").is_province_direct
    assert Institution.objects.get(code="990000").name == "测试省教育厅"
    assert Institution.objects.get(code="990101").name == "甲区教育体育局"
    assert Institution.objects.get(code="990101").path == "/990000/990100/990101/"
    assert Institution.objects.get(code="990102").path == "/990000/990102/"
    # Anhui is untouched.
    assert Institution.objects.filter(kind="bureau").count() == 125


def test_load_divisions_command_by_key_is_idempotent() -> None:
    call_command("load_divisions", province="anhui")
    assert Institution.objects.filter(kind="bureau").count() == 121


@pytest.mark.parametrize(
    "overrides",
    [
        {"province_direct": {"990101": "错名"}},
        {"province_direct": {"990100": "甲市"}},  # a city cannot be 省直管县
        {"code": "980000"},
        {"authority_codes": {"990101": "1a"}},
    ],
)
def test_inconsistent_configuration_is_refused(tmp_path: Path, overrides: dict[str, object]) -> None:
    with pytest.raises(CommandError):
        call_command("load_divisions", config=str(_write_province(tmp_path, **overrides)))
    assert not Division.objects.filter(code__startswith="99").exists()


def test_unknown_province_key_is_refused() -> None:
    with pytest.raises(DivisionDataError):
        province_config("../secrets")


def test_read_divisions_orders_parents_first() -> None:
    rows = read_divisions(province_config("anhui"))
    seen: set[str] = set()
    for row in rows:
        assert row.parent_code is None or row.parent_code in seen
        seen.add(row.code)


def test_unload_removes_what_load_created(tmp_path: Path) -> None:
    config = province_config(path=_write_province(tmp_path))
    load_province(division_model=Division, institution_model=Institution, config=config)
    unload_province(division_model=Division, institution_model=Institution, config=config)
    assert not Division.objects.filter(code__startswith="99").exists()
    assert not Institution.objects.filter(code__startswith="99").exists()


def test_unload_refuses_while_institutions_hang_below(tmp_path: Path) -> None:
    school("3401030999")
    with pytest.raises(ProtectedError):
        unload_province(
            division_model=Division, institution_model=Institution, config=province_config("anhui")
        )
