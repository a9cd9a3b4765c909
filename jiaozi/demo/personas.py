"""The demo personas of contract.md: one staff account per role and level, each with a
demo TOTP device, and the applicant ``teacher_demo``. Created through the accounts
services (``staff_create`` with actor None, ``demo_totp_enroll``); an existing username
is left as it is."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from jiaozi.accounts.models import User
from jiaozi.accounts.roles import Role
from jiaozi.accounts.services import demo_totp_enroll, staff_create
from jiaozi.core import idcard
from jiaozi.orgs.models import Institution

DEMO_PASSWORD = "Jiaozi@2024"  # noqa: S105 — the demo's published password (contract.md)


@dataclass(frozen=True)
class Persona:
    username: str
    institution: str  # institution code
    role: str
    real_name: str
    post: str
    phone: str

    @property
    def resident_id(self) -> str:
        """The persona's resident ID (a staff filing carries one): area 349900 is no real
        division, so it is never a demo teacher's; the sequence is the phone's last three digits."""
        return idcard.make(f"34990019800101{self.phone[-3:]}")


PERSONAS: tuple[Persona, ...] = (
    Persona("prov_admin", "340000", Role.PROVINCE_ADMIN, "周建国", "教师工作处处长", "13905510001"),
    Persona("prov_reviewer", "340000", Role.PROVINCE_REVIEWER, "吴晓明", "教师工作处科员", "13905510002"),
    Persona("sec_admin", "340000", Role.SECURITY_ADMIN, "郑安平", "信息中心安全管理员", "13905510003"),
    Persona("audit_admin", "340000", Role.AUDIT_ADMIN, "王审言", "信息中心审计管理员", "13905510004"),
    Persona("prov_certifier", "340000", Role.CERTIFYING_OFFICER, "陈立信", "教师资格认定科员", "13905510005"),
    Persona(
        "hf_admin", "340100", Role.INSTITUTION_ADMIN, "李合肥", "合肥市教育局人事处副处长", "13905510101"
    ),
    Persona("hf_rechecker", "340100", Role.CITY_RECHECKER, "张复核", "合肥市教育局人事处科员", "13905510102"),
    Persona(
        "hf_certifier",
        "340100",
        Role.CERTIFYING_OFFICER,
        "刘认定",
        "合肥市教师资格认定中心科员",
        "13905510103",
    ),
    Persona("wh_admin", "340200", Role.INSTITUTION_ADMIN, "孙芜湖", "芜湖市教育局人事科科长", "13905530201"),
    Persona("wh_rechecker", "340200", Role.CITY_RECHECKER, "赵江城", "芜湖市教育局人事科科员", "13905530202"),
    Persona("ly_admin", "340103", Role.INSTITUTION_ADMIN, "钱庐阳", "庐阳区教体局人事科科长", "13905510301"),
    Persona(
        "ly_reviewer", "340103", Role.REGISTRATION_REVIEWER, "杨审核", "庐阳区教体局人事科科员", "13905510302"
    ),
    Persona(
        "ly_certifier", "340103", Role.CERTIFYING_OFFICER, "何认证", "庐阳区教师资格认定科员", "13905510303"
    ),
    Persona("yh_admin", "340102", Role.INSTITUTION_ADMIN, "马瑶海", "瑶海区教体局人事科科长", "13905510401"),
    Persona(
        "yh_reviewer", "340102", Role.REGISTRATION_REVIEWER, "朱明审", "瑶海区教体局人事科科员", "13905510402"
    ),
    Persona("ly_school_admin", "3401030001", Role.INSTITUTION_ADMIN, "胡校办", "办公室主任", "13905510501"),
    Persona("ly_school", "3401030001", Role.SCHOOL_REVIEWER, "林审查", "人事干事", "13905510502"),
    Persona("yh_school", "3401020001", Role.SCHOOL_REVIEWER, "高一中", "人事干事", "13905510601"),
    Persona("ly_confirm", "340103QR01", Role.CONFIRMATION_USER, "罗确认", "确认点工作人员", "13905510701"),
    Persona(
        "hf_dept_reviewer",
        "340100ZG01",
        Role.REGISTRATION_REVIEWER,
        "梁直属",
        "直属学校管理处科员",
        "13905510801",
    ),
    Persona(
        "ss_reviewer", "340826", Role.REGISTRATION_REVIEWER, "宋宿松", "宿松县教育局人事股股长", "13905560901"
    ),
    # The demo's applications (jiaozi/demo/applications.py): the schools and county whose
    # queues they fill need their reviewers.
    Persona("ss_school", "3408260001", Role.SCHOOL_REVIEWER, "潘松中", "人事干事", "13905560902"),
    Persona(
        "jh_reviewer", "340202", Role.REGISTRATION_REVIEWER, "江镜湖", "镜湖区教育局人事科科员", "13905530903"
    ),
    Persona("jh_school", "3402020001", Role.SCHOOL_REVIEWER, "许镜中", "人事干事", "13905530904"),
    # Confirmation points (jiaozi/demo/confirmation.py): the 合肥市 point's confirmation user
    # (庐阳区's is ly_confirm above).
    Persona("hf_confirm", "340100QR01", Role.CONFIRMATION_USER, "韩确认", "市确认点工作人员", "13905510702"),
)

APPLICANT_USERNAME = "teacher_demo"


@transaction.atomic
def personas_ensure() -> tuple[int, int]:
    """Create the missing staff personas with their demo TOTP devices. Returns
    (created, already present)."""
    present = {u.username: u for u in User.objects.filter(username__in=[p.username for p in PERSONAS])}
    existing = set(present)
    institutions = {i.code: i for i in Institution.objects.filter(code__in={p.institution for p in PERSONAS})}
    created = 0
    for persona in PERSONAS:
        if persona.username in existing:
            # Filed before staff carried a resident ID: complete the filing.
            user = present[persona.username]
            if not user.resident_id:
                user.resident_id = persona.resident_id
                user.save(update_fields=["resident_id", "resident_id_bidx"])
            continue
        user, _password = staff_create(
            actor=None,
            institution=institutions[persona.institution],
            username=persona.username,
            real_name=persona.real_name,
            phone=persona.phone,
            post=persona.post,
            role=persona.role,
            resident_id=persona.resident_id,
            password=DEMO_PASSWORD,
        )
        demo_totp_enroll(user=user)
        created += 1
    return created, len(PERSONAS) - created


@transaction.atomic
def applicant_ensure(*, real_name: str, resident_id: str, phone: str) -> bool:
    """The applicant persona, whose resident ID is a demo teacher's (so the portal finds
    that teacher's certificate). Returns True when created."""
    if User.objects.filter(username=APPLICANT_USERNAME).exists():
        return False
    User.objects.create_user(
        username=APPLICANT_USERNAME,
        password=DEMO_PASSWORD,
        kind=User.Kind.APPLICANT,
        real_name=real_name,
        resident_id=resident_id,
        phone=phone,
    )
    return True
