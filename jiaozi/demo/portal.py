"""The portal wing's demo data: announcements at province, city and county level (the
province's text restates the Anhui notice 皖教秘〔2024〕263号, named as its source), and
the set-up of registration institutions — plans submitted by 合肥市, 芜湖市 and 庐阳区,
瑶海区 left unfinished so the province's view has someone to remind.

Written through the services (audited like any admin's work); the publication times are
then set back to the days the notice names, as seed data. Idempotent: an announcement
already present (same institution and title) or a plan already saved is left alone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.files.base import ContentFile

from jiaozi.accounts.models import User
from jiaozi.announcements import services as announcements
from jiaozi.announcements.models import Announcement, Category
from jiaozi.core import clock
from jiaozi.directory import selectors as directory_selectors
from jiaozi.directory import services as directory

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
SOURCE = "安徽省教育厅《关于做好2024年中小学教师资格定期注册和下半年中小学教师资格认定工作的通知》（皖教秘〔2024〕263号）"


@dataclass(frozen=True)
class DemoAnnouncement:
    author: str  # persona username
    title: str
    category: str
    body: str
    published: dt.datetime | None  # None: left as a draft
    source: str = ""
    attachment: str = ""  # file name of a small PDF attachment


PROVINCE_BODY = """各市、省直管县（市）教育局，省属中专学校：

为做好我省2024年中小学教师资格定期注册和下半年中小学教师资格认定工作，现将有关事项公告如下。

一、注册对象。尚未进行首次注册或5年注册周期有效期届满的公办普通中小学、中等职业学校和幼儿园在编在岗教师（含经县级以上政府批准招聘、与当地在编公办教师同等工资待遇的聘用教师）；尚未进行首次注册或5年注册周期有效期届满、依法举办的民办普通中小学、中等职业学校和幼儿园聘用在岗教师；注册结论为“暂缓注册”、现已达到定期注册条件的人员。

二、时间安排。教师资格管理信息系统安徽省下半年开放时间为2024年9月11日至12月27日17时。本人申请、学校审查、县级审核、市级复核时间为9月13日至12月15日17时。

三、注册程序。本人申请、学校审查、县级初审（注册结论公示一周）、市级复核、省级终审、注册完成。

四、工作要求。工作启动前，各地要指导所辖县（市、区）准确填写定期注册机构公示信息，提交注册计划，设置确认点和确认用户。系统将据此生成注册机构联系方式。

联系人：省教师发展中心；联系电话：0551-64479663；办公地点：合肥市瑶海区大通路119号天和大厦南3楼。"""

CERTIFICATION_BODY = """根据省教育厅通知，2024年下半年中小学教师资格认定网上报名时间为9月14日至25日17时，认定公告于9月13日前发布。各级中小学教师资格认定机构应于12月20日前完成下半年认定工作。

申请人请在报名时间内网上提交申请，并按所选认定机构的安排完成现场确认。"""

CITY_BODY = """各县（市、区）教育体育局，市直各学校：

根据省教育厅工作部署，现将我市2024年中小学教师资格定期注册工作安排公告如下。

一、市直学校教师由学校统一审查后报市教育局审核；各县（市、区）学校教师按教师管理权限报所在县（市、区）教育体育局审核。

二、县级审核完成并公示一周后，于12月15日17时前报市教育局复核。

三、各注册机构的地址、咨询电话和办公时间见“注册机构联系方式”栏目。"""

COUNTY_BODY = """全区各中小学、幼儿园：

2024年中小学教师资格定期注册工作已启动。请各学校组织符合条件的教师于2024年9月13日至12月15日17时前在网上提交申请，学校审查后报区教体局审核。

区教体局现场咨询地点：区政务服务中心二楼教育窗口；咨询电话：0551-65661234；办公时间：工作日8:30-12:00，14:30-17:30。

注册结论将在本网站公示一周，接受社会监督。附件为各学校受理联系人一览表。"""

ANNOUNCEMENTS = (
    DemoAnnouncement(
        "prov_admin",
        "关于做好2024年中小学教师资格定期注册工作的公告",
        Category.REGISTRATION,
        PROVINCE_BODY,
        dt.datetime(2024, 9, 10, 9, 0, tzinfo=SHANGHAI),
        SOURCE,
        "2024年定期注册工作安排.pdf",
    ),
    DemoAnnouncement(
        "prov_admin",
        "2024年下半年中小学教师资格认定公告",
        Category.CERTIFICATION,
        CERTIFICATION_BODY,
        dt.datetime(2024, 9, 12, 9, 0, tzinfo=SHANGHAI),
        SOURCE,
    ),
    DemoAnnouncement(
        "hf_admin",
        "合肥市2024年中小学教师资格定期注册工作安排",
        Category.REGISTRATION,
        CITY_BODY,
        dt.datetime(2024, 9, 12, 15, 30, tzinfo=SHANGHAI),
        "依据" + SOURCE,
    ),
    DemoAnnouncement(
        "wh_admin",
        "芜湖市2024年中小学教师资格定期注册工作提示",
        Category.REGISTRATION,
        CITY_BODY.replace("我市", "芜湖市"),
        dt.datetime(2024, 9, 13, 10, 0, tzinfo=SHANGHAI),
    ),
    DemoAnnouncement(
        "ly_admin",
        "庐阳区2024年中小学教师资格定期注册受理安排",
        Category.REGISTRATION,
        COUNTY_BODY,
        dt.datetime(2024, 9, 13, 8, 30, tzinfo=SHANGHAI),
        attachment="庐阳区各学校受理联系人一览表.pdf",
    ),
    DemoAnnouncement(
        "ly_admin",
        "庐阳区定期注册结论公示安排（草稿）",
        Category.REGISTRATION,
        "注册结论公示安排待区教体局会议确定后发布。",
        None,
    ),
)

# Plans submitted by these personas' institutions; 瑶海区 (yh_admin) is left unfinished.
PLANS = {
    "hf_admin": {
        "kindergarten": 80,
        "primary": 0,
        "junior": 120,
        "senior": 460,
        "vocational": 90,
        "special": 12,
    },
    "wh_admin": {
        "kindergarten": 40,
        "primary": 30,
        "junior": 150,
        "senior": 380,
        "vocational": 120,
        "special": 8,
    },
    "ly_admin": {
        "kindergarten": 210,
        "primary": 980,
        "junior": 560,
        "senior": 240,
        "vocational": 0,
        "special": 6,
    },
}


def _pdf(title: str) -> bytes:
    """A small, well-formed PDF standing for a real attachment."""
    text = title.encode("utf-8").hex().upper()
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"3 0 obj\n<< /Title <FEFF" + text.encode() + b"> >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R /Info 3 0 R >>\nstartxref\n0\n%%EOF\n"
    )


def portal_seed() -> dict[str, int]:
    """Announcements and plans of the demo; returns how many of each were created."""
    users = {
        u.username: u
        for u in User.objects.filter(username__in={a.author for a in ANNOUNCEMENTS} | set(PLANS))
    }
    created = {"announcements": 0, "plans": 0}
    for item in ANNOUNCEMENTS:
        author = users.get(item.author)
        if author is None or author.institution_id is None:
            continue
        if Announcement.objects.filter(institution_id=author.institution_id, title=item.title).exists():
            continue
        announcement = announcements.announcement_create(
            actor=author, title=item.title, body=item.body, category=item.category, source=item.source
        )
        if item.attachment:
            announcements.attachment_add(
                actor=author,
                announcement_id=announcement.pk,
                file=ContentFile(_pdf(item.title), name=item.attachment),
            )
        if item.published is not None:
            announcements.announcement_publish(actor=author, pk=announcement.pk, version=announcement.version)
            # Seed data: the day the notice names, not the day the demo was loaded.
            when = min(item.published, clock.now())
            Announcement.objects.filter(pk=announcement.pk).update(publish_at=when)
        created["announcements"] += 1
    for username, expected in PLANS.items():
        admin = users.get(username)
        if admin is None or admin.institution is None:
            continue
        campaign = directory_selectors.campaign_for(admin.institution)
        if campaign is None or directory_selectors.plan_for(institution=admin.institution, campaign=campaign):
            continue
        directory.registration_plan_save(actor=admin, expected=expected, notes="按上一周期注册人数估算")
        created["plans"] += 1
    return created
