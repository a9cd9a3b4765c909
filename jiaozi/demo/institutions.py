"""The demo's institutions: schools in every county of 合肥市 and 芜湖市, city-direct
schools under 主管部门, a province-direct school, a school of a county-level
non-education department, schools in the 省直管县 宿松县, confirmation points, and the
public info of some registration institutions (others left blank on purpose, so the
"who has not filled" list has something to show).

The plan is plain data computed from the division CSV (no database), so it is the same
on every run; ``institutions_ensure`` creates what is missing through
``institution_create``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from jiaozi.core import clock
from jiaozi.orgs.divisions import DivisionRow, province_config, read_divisions
from jiaozi.orgs.models import Division, Institution
from jiaozi.orgs.services import institution_create

from .teachers import SchoolInfo

DEMO_CITIES = ("340100", "340200")  # 合肥市, 芜湖市: fully populated
SUSONG = "340826"

Stage = Institution.Stage
Ownership = Institution.Ownership


@dataclass(frozen=True)
class InstitutionPlan:
    code: str
    name: str
    kind: str
    parent: str  # code of the parent institution
    division: str
    ownership: str = ""
    stage: str = ""


@dataclass(frozen=True)
class PublicInfo:
    address: str
    phone: str
    office_hours: str


# (serial, name suffix, stage, ownership) of every county's schools.
_COUNTY_SCHOOLS: tuple[tuple[int, str, str, str], ...] = (
    (1, "第一中学", Stage.COMPLETE_SECONDARY, Ownership.PUBLIC),
    (2, "实验小学", Stage.PRIMARY, Ownership.PUBLIC),
    (3, "第二初级中学", Stage.JUNIOR, Ownership.PUBLIC),
    (4, "中心幼儿园", Stage.KINDERGARTEN, Ownership.PUBLIC),
    (5, "育英学校", Stage.NINE_YEAR, Ownership.PRIVATE),
)
# Districts (区) add a second primary school and a private kindergarten; counties and
# county-level cities (县/市) a vocational centre and a special-education school.
_DISTRICT_EXTRA = (
    (6, "第三小学", Stage.PRIMARY, Ownership.PUBLIC),
    (7, "蓝天幼儿园", Stage.KINDERGARTEN, Ownership.PRIVATE),
)
_COUNTY_EXTRA = (
    (6, "职业教育中心", Stage.VOCATIONAL, Ownership.PUBLIC),
    (7, "特殊教育学校", Stage.SPECIAL, Ownership.PUBLIC),
)

# Supervising departments (主管部门) and the schools they review.
DEPARTMENTS: tuple[InstitutionPlan, ...] = (
    InstitutionPlan("340000ZG01", "安徽省教育厅直属学校管理处", "department", "340000", "340000"),
    InstitutionPlan("340100ZG01", "合肥市教育局直属学校管理处", "department", "340100", "340100"),
    InstitutionPlan("340200ZG01", "芜湖市教育局直属学校管理处", "department", "340200", "340200"),
    InstitutionPlan("340181ZG01", "巢湖市人力资源和社会保障局", "department", "340181", "340181"),
)
DIRECT_SCHOOLS: tuple[InstitutionPlan, ...] = (
    # Province-direct: reviewed by the province-level department, located in 芜湖市镜湖区.
    InstitutionPlan(
        "3400000001", "安徽师范大学附属中学", "school", "340000ZG01", "340202", Ownership.PUBLIC, Stage.SENIOR
    ),
    # 合肥 city-direct schools, located in its districts.
    InstitutionPlan(
        "3401000001", "合肥市第一中学", "school", "340100ZG01", "340111", Ownership.PUBLIC, Stage.SENIOR
    ),
    InstitutionPlan(
        "3401000002", "合肥市第六中学", "school", "340100ZG01", "340103", Ownership.PUBLIC, Stage.SENIOR
    ),
    InstitutionPlan(
        "3401000003", "合肥市第四十五中学", "school", "340100ZG01", "340104", Ownership.PUBLIC, Stage.JUNIOR
    ),
    InstitutionPlan(
        "3401000004", "合肥市实验学校", "school", "340100ZG01", "340104", Ownership.PUBLIC, Stage.NINE_YEAR
    ),
    InstitutionPlan(
        "3401000005",
        "合肥市直属机关幼儿园",
        "school",
        "340100ZG01",
        "340103",
        Ownership.PUBLIC,
        Stage.KINDERGARTEN,
    ),
    InstitutionPlan(
        "3401000006", "合肥工业学校", "school", "340100ZG01", "340111", Ownership.PUBLIC, Stage.VOCATIONAL
    ),
    InstitutionPlan(
        "3402000001", "芜湖市第一中学", "school", "340200ZG01", "340202", Ownership.PUBLIC, Stage.SENIOR
    ),
    InstitutionPlan(
        "3402000002",
        "芜湖市第十二中学",
        "school",
        "340200ZG01",
        "340207",
        Ownership.PUBLIC,
        Stage.COMPLETE_SECONDARY,
    ),
    # A school run by a county-level non-education department.
    InstitutionPlan(
        "3401810101", "巢湖市技工学校", "school", "340181ZG01", "340181", Ownership.PUBLIC, Stage.VOCATIONAL
    ),
    # The 省直管县 宿松县.
    InstitutionPlan(
        "3408260001", "宿松县第一中学", "school", SUSONG, SUSONG, Ownership.PUBLIC, Stage.COMPLETE_SECONDARY
    ),
    InstitutionPlan(
        "3408260002", "宿松县实验小学", "school", SUSONG, SUSONG, Ownership.PUBLIC, Stage.PRIMARY
    ),
)
CONFIRMATION_POINTS: tuple[InstitutionPlan, ...] = (
    InstitutionPlan(
        "340100QR01", "合肥市教师资格认定确认点（市政务服务中心）", "confirmation_point", "340100", "340100"
    ),
    InstitutionPlan(
        "340103QR01", "庐阳区教师资格认定确认点（区政务服务中心）", "confirmation_point", "340103", "340103"
    ),
    InstitutionPlan(
        "340102QR01", "瑶海区教师资格认定确认点（区政务服务中心）", "confirmation_point", "340102", "340102"
    ),
    InstitutionPlan(
        "340200QR01", "芜湖市教师资格认定确认点（市政务服务中心）", "confirmation_point", "340200", "340200"
    ),
    InstitutionPlan(
        "340826QR01", "宿松县教师资格认定确认点（县政务服务中心）", "confirmation_point", SUSONG, SUSONG
    ),
)

_HOURS = "工作日上午8:30-12:00，下午14:30-17:30（法定节假日除外）"
# Registration institutions that have filled their public info in the demo. 瑶海区 and
# most of 芜湖市's counties have not: the province's "who has not" list shows them.
PUBLIC_INFO: dict[str, PublicInfo] = {
    "340000": PublicInfo("合肥市包河区屯溪路（演示地址）省教育厅教师工作处", "0551-62831234", _HOURS),
    "340000ZG01": PublicInfo("合肥市包河区屯溪路（演示地址）省教育厅直属学校管理处", "0551-62831235", _HOURS),
    "340100": PublicInfo("合肥市蜀山区东流路（演示地址）市政务服务中心三楼", "0551-63538000", _HOURS),
    "340100ZG01": PublicInfo("合肥市蜀山区东流路（演示地址）市教育局直属学校管理处", "0551-63538001", _HOURS),
    "340103": PublicInfo("合肥市庐阳区濉溪路（演示地址）区政务服务中心二楼", "0551-65661234", _HOURS),
    "340104": PublicInfo("合肥市蜀山区黄山路（演示地址）区教育体育局", "0551-65312345", _HOURS),
    "340111": PublicInfo("合肥市包河区徽州大道（演示地址）区教育体育局", "0551-63356789", _HOURS),
    "340121": PublicInfo("长丰县水湖镇（演示地址）县教育体育局", "0551-66712345", _HOURS),
    "340200": PublicInfo("芜湖市鸠江区中山北路（演示地址）市政务服务中心", "0553-3845678", _HOURS),
    "340202": PublicInfo("芜湖市镜湖区（演示地址）区教育局", "0553-3123456", _HOURS),
    "340207": PublicInfo("芜湖市鸠江区（演示地址）区教育局", "0553-5712345", _HOURS),
    "340826": PublicInfo("宿松县孚玉镇（演示地址）县政务服务中心", "0556-7812345", _HOURS),
}


def _prefix(county: DivisionRow, city: DivisionRow) -> str:
    # 区 are named with their city (合肥市庐阳区第一中学); 县 and 县级市 stand alone.
    return f"{city.name}{county.name}" if county.name.endswith("区") else county.name


def demo_plan() -> list[InstitutionPlan]:
    """Every demo institution, parents before children."""
    rows = read_divisions(province_config("anhui"))
    by_code = {r.code: r for r in rows}
    plan: list[InstitutionPlan] = list(DEPARTMENTS)
    for county in (r for r in rows if r.level == "county" and r.parent_code in DEMO_CITIES):
        city = by_code[county.parent_code or ""]
        extra = _DISTRICT_EXTRA if county.name.endswith("区") else _COUNTY_EXTRA
        for serial, suffix, stage, ownership in _COUNTY_SCHOOLS + extra:
            plan.append(
                InstitutionPlan(
                    f"{county.code}{serial:04d}",
                    f"{_prefix(county, city)}{suffix}",
                    "school",
                    county.code,
                    county.code,
                    ownership,
                    stage,
                )
            )
    plan.extend(DIRECT_SCHOOLS)
    plan.extend(CONFIRMATION_POINTS)
    return plan


def demo_school_codes() -> list[str]:
    return [p.code for p in demo_plan() if p.kind == "school"]


@transaction.atomic
def institutions_ensure() -> tuple[int, int]:
    """Create the missing demo institutions and fill the demo public info where it is
    still blank. Returns (created, already present)."""
    plan = demo_plan()
    existing = {i.code: i for i in Institution.objects.filter(code__in=[p.code for p in plan])}
    parents = {
        i.code: i
        for i in Institution.objects.filter(code__in={p.parent for p in plan}).select_related("division")
    }
    divisions = {d.code: d for d in Division.objects.filter(code__in={p.division for p in plan})}
    created = 0
    for item in plan:
        if item.code in existing:
            continue
        parent = parents.get(item.parent) or existing[item.parent]
        institution = institution_create(
            actor=None,
            parent=parent,
            code=item.code,
            name=item.name,
            kind=item.kind,
            division=divisions[item.division] if item.kind == "school" else None,
            ownership=item.ownership,
            stage=item.stage,
        )
        existing[item.code] = institution
        parents.setdefault(item.code, institution)
        created += 1
    now = clock.now()
    for code, info in PUBLIC_INFO.items():
        # Seed data, like the bureaus of the migration: written without an actor, and
        # only where nobody has filled it yet.
        Institution.objects.filter(code=code, address="", phone="", office_hours="").update(
            address=info.address, phone=info.phone, office_hours=info.office_hours, public_info_updated_at=now
        )
    return created, len(plan) - created


def school_infos(codes: list[str]) -> list[SchoolInfo]:
    """The demo schools with the certifying-authority codes of where they are."""
    schools = list(Institution.objects.filter(code__in=codes, kind=Institution.Kind.SCHOOL))
    divisions = {d.code: d for d in Division.objects.all()}
    authority = dict(
        Institution.objects.filter(kind=Institution.Kind.BUREAU).values_list("code", "authority_code")
    )
    infos = []
    for school in schools:
        county = divisions[school.division_id]
        # Types 4–6 are certified by the city — or by the 省直管县 itself (§6).
        city = (
            county if county.is_province_direct or county.parent_id is None else divisions[county.parent_id]
        )
        infos.append(
            SchoolInfo(
                code=school.code,
                stage=school.stage,
                ownership=school.ownership,
                county=county.code,
                county_authority=authority[county.code],
                city_authority=authority[city.code],
            )
        )
    return infos


def region_codes() -> list[str]:
    return list(Division.objects.filter(level="county").order_by("code").values_list("code", flat=True))
