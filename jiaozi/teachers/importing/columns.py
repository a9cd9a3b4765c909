"""The import template (教师数据导入模板, PRODUCT.md §12) as data.

One table drives the parser, the error report, the blank template and the test
workbooks, so the headers and the enumeration labels exist exactly once. The labels are
the template's words (e.g. 上次注册结论 "合格"), which are not always the model's display
labels (``Conclusion.QUALIFIED`` displays "注册合格"): the file speaks the template's
language, so the mapping is explicit here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from jiaozi.certificates.models import CertificateStatus, Conclusion, QualificationType
from jiaozi.orgs.models import Institution

from ..models import AppraisalGrade, EmploymentType, EthicsResult, Health, PostType, Sex

SCHOOLS = "学校"
TEACHERS = "教师"
ANNUAL = "年度考核"
ETHICS = "师德考核"
TRAINING = "培训学时"
BREAKS = "中止任教"
INSTRUCTIONS = "填写说明"

# Processing order: a row may only refer to sheets processed before it.
SHEET_ORDER: tuple[str, ...] = (SCHOOLS, TEACHERS, ANNUAL, ETHICS, TRAINING, BREAKS)

OWNERSHIP = {"公办": Institution.Ownership.PUBLIC, "民办": Institution.Ownership.PRIVATE}
STAGE = {
    "幼儿园": Institution.Stage.KINDERGARTEN,
    "小学": Institution.Stage.PRIMARY,
    "初中": Institution.Stage.JUNIOR,
    "高中": Institution.Stage.SENIOR,
    "完全中学": Institution.Stage.COMPLETE_SECONDARY,
    "九年一贯制": Institution.Stage.NINE_YEAR,
    "中职": Institution.Stage.VOCATIONAL,
    "特殊教育": Institution.Stage.SPECIAL,
}
SEX = {"男": Sex.MALE, "女": Sex.FEMALE}
POST_TYPE = {
    "专任教师": PostType.FULL_TIME,
    "双肩挑": PostType.DUAL,
    "实验教学": PostType.LAB,
    "心理健康教育": PostType.MENTAL_HEALTH,
    "少先队工作": PostType.YOUNG_PIONEERS,
    "教育信息化运维": PostType.EDU_IT,
    "其他": PostType.OTHER,
}
EMPLOYMENT_TYPE = {
    "公办在编": EmploymentType.PUBLIC_ESTABLISHED,
    "公办聘用同等待遇": EmploymentType.PUBLIC_EQUAL_PAY,
    "民办聘用": EmploymentType.PRIVATE_HIRED,
    "其他": EmploymentType.OTHER,
}
QUALIFICATION_TYPE = {
    "幼儿园": QualificationType.KINDERGARTEN,
    "小学": QualificationType.PRIMARY,
    "初级中学": QualificationType.JUNIOR,
    "高级中学": QualificationType.SENIOR,
    "中等职业学校": QualificationType.VOCATIONAL,
    "中职实习指导": QualificationType.VOCATIONAL_PRACTICE,
    "高等学校": QualificationType.HIGHER,
}
CERTIFICATE_STATUS = {
    "有效": CertificateStatus.VALID,
    "撤销": CertificateStatus.REVOKED,
    "丧失": CertificateStatus.LOST,
}
# Blank means never registered (stored as ""). The official terms (注册合格 / 暂缓注册 /
# 注册不合格, as every screen and the form print them) come first; the template's older
# short labels 合格 / 不合格 are still accepted (docs/decisions/0254).
CONCLUSION = {
    "注册合格": Conclusion.QUALIFIED,
    "暂缓注册": Conclusion.DEFERRED,
    "注册不合格": Conclusion.UNQUALIFIED,
    "合格": Conclusion.QUALIFIED,
    "不合格": Conclusion.UNQUALIFIED,
}
# Blank means 健康.
HEALTH = {"健康": Health.FIT, "不适合": Health.UNFIT}
GRADE = {
    "优秀": AppraisalGrade.EXCELLENT,
    "合格": AppraisalGrade.QUALIFIED,
    "基本合格": AppraisalGrade.BASIC,
    "不合格": AppraisalGrade.FAILED,
}
ETHICS_RESULT = {"合格": EthicsResult.PASSED, "不合格": EthicsResult.FAILED}
APPROVED = {"是": True, "否": False}


@dataclass(frozen=True)
class Column:
    header: str
    # Enumeration labels → stored values; None for free values.
    choices: Mapping[str, object] | None = None
    required: bool = False
    # Masked in the error report (§9: personal data never in clear).
    personal: bool = False
    # Shown in the instructions sheet of the blank template.
    hint: str = ""
    example: str = ""
    # Excel must keep these as text: 18-digit IDs and 17-digit numbers lose digits
    # as numbers.
    text: bool = False


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    purpose: str = ""
    key: str = ""
    headers: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", tuple(c.header for c in self.columns))

    def column(self, header: str) -> Column:
        return next(c for c in self.columns if c.header == header)


# Column headers, as constants so code never repeats a Chinese literal.
H_SCHOOL_CODE = "学校代码"
H_SCHOOL_NAME = "学校名称"
H_COUNTY = "所在区县代码"
H_OWNERSHIP = "办学性质"
H_STAGE = "学段"
H_REVIEWER = "审核机构代码"
H_ID = "身份证号"
H_NAME = "姓名"
H_SEX = "性别"
H_PHONE = "手机号"
H_POST = "岗位类别"
H_EMPLOYMENT = "用工类型"
H_CERT_NUMBER = "证书编号"
H_QUALIFICATION = "资格种类"
H_SUBJECT = "任教学科"
H_CERT_STATUS = "证书状态"
H_PROBATION = "试用期满考核合格日期"
H_CONCLUSION = "上次注册结论"
H_VALID_FROM = "注册有效期起"
H_VALID_TO = "注册有效期止"
H_HEALTH = "身心健康"
H_YEAR = "年度"
H_GRADE = "等次"
H_RESULT = "结果"
H_DATE = "日期"
H_HOURS = "学时"
H_PROGRAMME = "项目名称"
H_START = "开始日期"
H_END = "结束日期"
H_REASON = "原因"
H_APPROVED = "是否批准"

_ID = Column(
    H_ID,
    required=True,
    personal=True,
    text=True,
    hint="18位居民身份证号码，末位X大写",
    example="340103199001011232",
)

SHEETS: dict[str, Sheet] = {
    s.name: s
    for s in (
        Sheet(
            SCHOOLS,
            (
                Column(
                    H_SCHOOL_CODE,
                    required=True,
                    text=True,
                    hint="学校标识码，2～32位数字或字母",
                    example="3401030001",
                ),
                Column(H_SCHOOL_NAME, required=True, hint="学校全称", example="合肥市第一中学"),
                Column(
                    H_COUNTY,
                    required=True,
                    text=True,
                    hint="GB/T 2260 区县级行政区划代码（6位）",
                    example="340103",
                ),
                Column(H_OWNERSHIP, OWNERSHIP, required=True),
                Column(H_STAGE, STAGE, required=True),
                Column(
                    H_REVIEWER,
                    text=True,
                    hint="负责审核的教育行政部门或主管部门代码；留空为所在区县教育局",
                    example="",
                ),
            ),
            purpose="新增或更新学校；已登记的学校可不填",
            key="学校代码",
        ),
        Sheet(
            TEACHERS,
            (
                _ID,
                Column(H_NAME, required=True, personal=True, example="张三"),
                Column(H_SEX, SEX, required=True, hint="须与身份证号一致"),
                Column(H_PHONE, personal=True, text=True, hint="11位手机号码，可留空", example="13800000000"),
                Column(
                    H_SCHOOL_CODE,
                    required=True,
                    text=True,
                    hint="本文件“学校”表中或系统中已有的学校",
                    example="3401030001",
                ),
                Column(H_POST, POST_TYPE, required=True),
                Column(H_EMPLOYMENT, EMPLOYMENT_TYPE, required=True, hint="民办学校不能填写“公办在编”"),
                Column(
                    H_CERT_NUMBER,
                    text=True,
                    hint="17位数字：年份4位+省份2位+认定机构3位+资格种类1位+性别1位+流水号6位；无证书留空",
                    example="20153400131000001",
                ),
                Column(
                    H_QUALIFICATION,
                    QUALIFICATION_TYPE,
                    hint="填写证书编号时必填；须与证书编号第10位一致；与学校学段不符时导入并提示核实",
                ),
                Column(H_SUBJECT, hint="如：语文", example="语文"),
                Column(H_CERT_STATUS, CERTIFICATE_STATUS, hint="填写证书编号时必填"),
                Column(H_PROBATION, hint="YYYY-MM-DD，可留空", example="2016-08-31"),
                Column(H_CONCLUSION, CONCLUSION, hint="留空表示从未注册"),
                Column(H_VALID_FROM, hint="YYYY-MM-DD；上次注册结论为注册合格时必填", example="2019-12-01"),
                Column(H_VALID_TO, hint="YYYY-MM-DD；上次注册结论为注册合格时必填", example="2024-11-30"),
                Column(H_HEALTH, HEALTH, hint="留空表示健康"),
            ),
            purpose="新增或更新教师及其教师资格证书",
            key="身份证号",
        ),
        Sheet(
            ANNUAL,
            (
                _ID,
                Column(H_YEAR, required=True, hint="四位年份", example="2023"),
                Column(H_GRADE, GRADE, required=True),
            ),
            purpose="每位教师每年一行",
            key="身份证号+年度",
        ),
        Sheet(
            ETHICS,
            (
                _ID,
                Column(H_YEAR, required=True, hint="四位年份", example="2023"),
                Column(H_RESULT, ETHICS_RESULT, required=True),
            ),
            purpose="每位教师每年一行",
            key="身份证号+年度",
        ),
        Sheet(
            TRAINING,
            (
                _ID,
                Column(H_DATE, required=True, hint="YYYY-MM-DD", example="2023-07-15"),
                Column(H_HOURS, required=True, hint="大于0，最多一位小数", example="24"),
                Column(H_PROGRAMME, required=True, example="国培计划（2023）"),
            ),
            purpose="每次培训一行",
            key="身份证号+日期+项目名称",
        ),
        Sheet(
            BREAKS,
            (
                _ID,
                Column(H_START, required=True, hint="YYYY-MM-DD", example="2022-03-01"),
                Column(H_END, required=True, hint="YYYY-MM-DD，不早于开始日期", example="2022-08-31"),
                Column(H_REASON, example="产假"),
                Column(H_APPROVED, APPROVED, required=True, hint="经批准的进修、培训、病假、产假填“是”"),
            ),
            purpose="中止教育教学工作的时段",
            key="身份证号+开始日期",
        ),
    )
}
