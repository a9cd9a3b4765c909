"""The oversight operations of /api/v1/, mounted in ``config/api.py``: spot checks and
revocation (§5, §13). Each operation calls one service or selector."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.responses import Status
from pydantic import Field

from jiaozi.core.api import BodyId, ObjectId, current_user, idempotent, problems, require, text
from jiaozi.core.api.schemas import MAX_ID, MAX_OFFSET, ObjectIn
from jiaozi.core.masking import mask_name
from jiaozi.core.roles import Role
from jiaozi.orgs.jurisdiction import province_code_of

from . import dataaudit, stats
from . import spotchecks as svc
from .models import SpotCheck, SpotCheckItem
from .settings import export_threshold, oversight_setting, oversight_setting_update

router = Router(tags=["oversight"])

Version = Field(ge=1, le=2**31 - 1)


class StratumOut(Schema):
    division: str
    name: str
    population: int
    sample: int


class SpotCheckOut(Schema):
    id: int
    title: str
    campaign_id: int
    mode: str
    size: int | None
    percent: Decimal | None
    seed: str
    drawn_until: dt.datetime
    population: int
    population_sha256: str
    sample_count: int
    strata: list[StratumOut]
    state: str
    drawn_at: dt.datetime
    closed_at: dt.datetime | None
    conclusion: str
    version: int


class ItemOut(Schema):
    id: int
    position: int
    application_id: int
    certificate_id: int
    certificate_number: str
    holder_name_masked: str
    division: str
    school: str
    application_status: str
    conclusion: str
    assignee_id: int | None
    outcome: str
    finding: str
    version: int

    @staticmethod
    def resolve_certificate_id(obj: SpotCheckItem) -> int:
        return obj.application.certificate_id

    @staticmethod
    def resolve_certificate_number(obj: SpotCheckItem) -> str:
        return obj.application.certificate.number

    @staticmethod
    def resolve_holder_name_masked(obj: SpotCheckItem) -> str:
        return mask_name(obj.application.teacher.name)

    @staticmethod
    def resolve_division(obj: SpotCheckItem) -> str:
        return obj.division_id

    @staticmethod
    def resolve_school(obj: SpotCheckItem) -> str:
        return obj.application.school.name

    @staticmethod
    def resolve_application_status(obj: SpotCheckItem) -> str:
        return obj.application.status

    @staticmethod
    def resolve_conclusion(obj: SpotCheckItem) -> str:
        return obj.application.conclusion


class SpotCheckDetailOut(SpotCheckOut):
    items: list[ItemOut]


class RedrawOut(Schema):
    population: int
    population_matches: bool = Field(description="样本总体（截止时间前已备案的申请）与抽取时一致")
    ids: list[int] = Field(description="以记录的种子重新抽取的申请编号，按样本序号")
    matches: bool = Field(description="与记录的样本完全一致")


class DrawIn(Schema):
    campaign_id: BodyId
    title: text(min_length=1, max_length=128)  # type: ignore[valid-type]
    mode: Literal["size", "percent"]
    size: int | None = Field(None, ge=1, le=svc.SAMPLE_MAX)
    percent: Decimal | None = Field(None, gt=0, le=100, decimal_places=2)
    seed: str = Field("", max_length=svc.SEED_MAX, description="留空则随机生成并记录")


class AssignIn(Schema):
    item_ids: list[BodyId] = Field(min_length=1, max_length=svc.SAMPLE_MAX)
    assignee_id: BodyId


class AssignOut(Schema):
    changed: int


class FindingIn(Schema):
    version: int = Version
    outcome: Literal["confirmed", "corrected", "irregular"]
    finding: str = Field("", max_length=svc.FINDING_MAX)


class ItemRevokeIn(Schema):
    version: int = Version
    target: Literal["registration", "certificate"]
    reason: text(min_length=1, max_length=500)  # type: ignore[valid-type]


class RevokeIn(Schema):
    version: int = Version
    reason: text(min_length=1, max_length=500)  # type: ignore[valid-type]


class CloseIn(Schema):
    version: int = Version
    conclusion: text(min_length=1, max_length=svc.FINDING_MAX)  # type: ignore[valid-type]


class RevokedApplicationOut(Schema):
    id: int
    status: str
    version: int


class RevokedCertificateOut(Schema):
    id: int
    number: str
    status: str
    version: int


def _checker(request: HttpRequest) -> Any:
    user = current_user(request)
    require(svc.is_checker(user))
    return user


def _detail(user: Any, spot_check: SpotCheck) -> SpotCheck:
    spot_check.items_out = list(svc.items_visible_to(user=user, spot_check=spot_check))  # type: ignore[attr-defined]
    return spot_check


@router.get("/oversight/spot-checks", response={200: list[SpotCheckOut]}, summary="定期注册抽查列表")
def spot_check_list(request: HttpRequest) -> Any:
    return list(svc.spot_check_list_visible_to(user=_checker(request))[:500])


@router.post(
    "/oversight/spot-checks",
    response={201: SpotCheckOut, **problems(403, 409)},
    summary="抽取抽查样本（省级终审员；按区县分层，记录随机种子）",
)
@idempotent
def spot_check_draw(request: HttpRequest, payload: DrawIn) -> Any:
    spot_check = svc.spot_check_draw(actor=current_user(request), **payload.model_dump())
    return Status(201, spot_check)


@router.get(
    "/oversight/spot-checks/{spot_check_id}",
    response={200: SpotCheckDetailOut, **problems(404)},
    summary="抽查详情与样本（核查人只见分配给本人的样本）",
)
def spot_check_detail(request: HttpRequest, spot_check_id: ObjectId) -> Any:
    user = _checker(request)
    spot_check = _detail(user, svc.spot_check_get(user=user, pk=spot_check_id))
    data = SpotCheckOut.from_orm(spot_check).model_dump()
    return {**data, "items": spot_check.items_out}  # type: ignore[attr-defined]


@router.get(
    "/oversight/spot-checks/{spot_check_id}/redraw",
    response={200: RedrawOut, **problems(404)},
    summary="以记录的种子重新抽取并与样本比对（复现校验）",
)
def spot_check_redraw(request: HttpRequest, spot_check_id: ObjectId) -> Any:
    user = current_user(request)
    require(svc.is_province_overseer(user))
    return svc.spot_check_redraw(spot_check=svc.spot_check_get(user=user, pk=spot_check_id))


@router.post(
    "/oversight/spot-checks/{spot_check_id}/assign",
    response={200: AssignOut, **problems(403, 404, 409)},
    summary="分配核查人",
)
def spot_check_assign(request: HttpRequest, spot_check_id: ObjectId, payload: AssignIn) -> Any:
    changed = svc.spot_check_assign(
        actor=current_user(request),
        spot_check_id=spot_check_id,
        item_ids=payload.item_ids,
        assignee_id=payload.assignee_id,
    )
    return {"changed": changed}


@router.post(
    "/oversight/spot-checks/{spot_check_id}/close",
    response={200: SpotCheckOut, **problems(403, 404, 409)},
    summary="结束抽查（全部样本已有结果）",
)
def spot_check_close(request: HttpRequest, spot_check_id: ObjectId, payload: CloseIn) -> Any:
    return svc.spot_check_close(
        actor=current_user(request),
        spot_check_id=spot_check_id,
        version=payload.version,
        conclusion=payload.conclusion,
    )


@router.get(
    "/oversight/spot-check-items/{spot_check_item_id}",
    response={200: ItemOut, **problems(404)},
    summary="抽查样本",
)
def spot_check_item_detail(request: HttpRequest, spot_check_item_id: ObjectId) -> Any:
    return svc.item_get(user=_checker(request), pk=spot_check_item_id)


@router.post(
    "/oversight/spot-check-items/{spot_check_item_id}/finding",
    response={200: ItemOut, **problems(403, 404, 409)},
    summary="记录核查结果",
)
def spot_check_item_record(request: HttpRequest, spot_check_item_id: ObjectId, payload: FindingIn) -> Any:
    user = _checker(request)
    svc.spot_check_item_record(
        actor=user,
        item_id=spot_check_item_id,
        version=payload.version,
        finding=payload.finding,
        outcome=payload.outcome,
    )
    return svc.item_get(user=user, pk=spot_check_item_id)


@router.post(
    "/oversight/spot-check-items/{spot_check_item_id}/revoke",
    response={200: ItemOut, **problems(403, 404, 409)},
    summary="按抽查结果撤销注册或证书（省级终审员）",
)
def spot_check_item_revoke(request: HttpRequest, spot_check_item_id: ObjectId, payload: ItemRevokeIn) -> Any:
    user = current_user(request)
    svc.spot_check_item_revoke(
        actor=user,
        item_id=spot_check_item_id,
        version=payload.version,
        target=payload.target,
        reason=payload.reason,
    )
    return svc.item_get(user=user, pk=spot_check_item_id)


@router.post(
    "/oversight/registrations/{application_id}/revoke",
    response={200: RevokedApplicationOut, **problems(403, 404, 409)},
    summary="撤销已备案的定期注册（省级终审员）",
)
def oversight_registration_revoke(request: HttpRequest, application_id: ObjectId, payload: RevokeIn) -> Any:
    return svc.registration_revoke(
        actor=current_user(request),
        application_id=application_id,
        version=payload.version,
        reason=payload.reason,
    )


@router.post(
    "/oversight/certificates/{certificate_id}/revoke",
    response={200: RevokedCertificateOut, **problems(403, 404, 409)},
    summary="撤销教师资格证书（省级终审员）",
)
def oversight_certificate_revoke(request: HttpRequest, certificate_id: ObjectId, payload: RevokeIn) -> Any:
    return svc.certificate_revoke_by_province(
        actor=current_user(request),
        certificate_id=certificate_id,
        version=payload.version,
        reason=payload.reason,
    )


# --- Data audit -------------------------------------------------------------------------


class KindCounts(Schema):
    missed: int
    stuck: int
    override: int
    materials: int
    duplicate: int
    type_mismatch: int
    public_info: int


class InstitutionCounts(Schema):
    institution_id: int
    name: str
    counts: KindCounts
    total: int


class DataAuditOut(Schema):
    campaign_id: int
    institution_id: int
    totals: KindCounts
    own: KindCounts
    total: int
    children: list[InstitutionCounts]


class LineOut(Schema):
    kind: str
    institution_id: int
    institution_name: str
    text: str
    link: str


class DataAuditRemindIn(ObjectIn):
    campaign_id: BodyId | None = None
    institution_id: BodyId | None = None


class DataAuditRemindOut(Schema):
    notified: int


@router.get(
    "/oversight/data-audit",
    response={200: DataAuditOut, **problems(403, 404)},
    summary="办结前数据核查：各项待处理数量（本单位及各下级单位）",
)
def data_audit_report(
    request: HttpRequest,
    campaign_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    institution_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Any:
    user = current_user(request)
    campaign = dataaudit.campaign_for(user=user, campaign_id=campaign_id)
    node = dataaudit.node_for(user=user, institution_id=institution_id)
    report = dataaudit.data_audit_report(user=user, campaign=campaign, node=node)
    return {
        "campaign_id": campaign.pk,
        "institution_id": node.pk,
        "totals": report.totals,
        "own": report.own,
        "total": report.total,
        "children": [
            {
                "institution_id": r.institution.pk,
                "name": r.institution.name,
                "counts": r.counts,
                "total": r.total,
            }
            for r in report.children
        ],
    }


@router.get(
    "/oversight/data-audit/lines",
    response={200: list[LineOut], **problems(403, 404)},
    summary="数据核查明细（每条附处理页面链接）",
)
def data_audit_lines(
    request: HttpRequest,
    kind: Literal[
        "missed", "stuck", "override", "materials", "duplicate", "type_mismatch", "public_info"
    ] = "missed",
    campaign_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    institution_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Any:
    user = current_user(request)
    campaign = dataaudit.campaign_for(user=user, campaign_id=campaign_id)
    node = dataaudit.node_for(user=user, institution_id=institution_id)
    lines = dataaudit.data_audit_lines(
        user=user, campaign=campaign, node=node, kind=kind, offset=max(0, offset)
    )
    return [
        {
            "kind": line.kind,
            "institution_id": line.owner_id,
            "institution_name": line.owner_name,
            "text": line.text,
            "link": line.link,
        }
        for line in lines
    ]


@router.post(
    "/oversight/data-audit/remind",
    response={200: DataAuditRemindOut, **problems(403, 404)},
    summary="提醒有待处理事项的单位",
)
def data_audit_remind(request: HttpRequest, payload: DataAuditRemindIn) -> Any:
    told = dataaudit.data_audit_remind(
        actor=current_user(request), campaign_id=payload.campaign_id, node_id=payload.institution_id
    )
    return {"notified": told}


# --- Statistics -------------------------------------------------------------------------


class StatRowOut(Schema):
    key: str
    label: str
    count: int


class StatTableOut(Schema):
    dimension: str
    title: str
    total: int
    rows: list[StatRowOut]


class StatChildOut(Schema):
    institution_id: int
    name: str
    figures: dict[str, int]


class StatisticsOut(Schema):
    scope: str
    source_id: int | None = Field(description="定期注册工作或认定批次编号")
    institution_id: int
    computed_at: dt.datetime | None = Field(description="汇总时间；为空表示尚未统计")
    tables: list[StatTableOut]
    children: list[StatChildOut]


class StatisticsRefreshIn(ObjectIn):
    campaign_id: BodyId | None = None
    batch_id: BodyId | None = None


class StatisticsRefreshOut(Schema):
    refreshed: int
    cells: int


@router.get(
    "/oversight/statistics",
    response={200: StatisticsOut, **problems(403, 404)},
    summary="统计（本单位及各下级单位，读取汇总表）",
)
def statistics_get(
    request: HttpRequest,
    scope: Literal["registration", "certification"] = "registration",
    campaign_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    batch_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    institution_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Any:
    user = current_user(request)
    node = stats.node_for(user=user, institution_id=institution_id)
    if scope == stats.Scope.REGISTRATION:
        campaign = stats.campaign_for(user=user, campaign_id=campaign_id)
        source_id = campaign.pk if campaign else None
    else:
        batch = stats.batch_for(user=user, batch_id=batch_id)
        source_id = batch.pk if batch else None
    figures = stats.statistics_figures(user=user, scope=scope, source_id=source_id, node=node)
    return {
        "scope": scope,
        "source_id": source_id,
        "institution_id": node.pk,
        "computed_at": figures.computed_at,
        "tables": [
            {
                "dimension": t.dimension,
                "title": t.title,
                "total": t.total,
                "rows": [{"key": r.key, "label": r.label, "count": r.count} for r in t.rows],
            }
            for t in figures.tables
        ],
        "children": [
            {"institution_id": c.institution.pk, "name": c.institution.name, "figures": c.figures}
            for c in figures.children
        ],
    }


@router.post(
    "/oversight/statistics/refresh",
    response={200: StatisticsRefreshOut, **problems(403, 404)},
    summary="立即刷新统计汇总（省级用户）",
)
def statistics_refresh(request: HttpRequest, payload: StatisticsRefreshIn) -> Any:
    runs = stats.statistics_refresh(
        actor=current_user(request), campaign_id=payload.campaign_id, batch_id=payload.batch_id
    )
    return {"refreshed": len(runs), "cells": sum(run.cells for run in runs)}


# --- Settings ---------------------------------------------------------------------------


class SettingOut(Schema):
    province_code: str
    required_materials: list[str]
    export_approval_threshold: int = Field(description="导出超过此行数须另一人审批")
    version: int


class SettingIn(Schema):
    version: int = Field(ge=0, le=2**31 - 1)
    required_materials: list[str] = Field(default_factory=list, max_length=10)
    export_approval_threshold: int | None = Field(None, ge=0, le=10_000_000)


def _setting_out(code: str) -> dict[str, Any]:
    found = oversight_setting(code)
    return {
        "province_code": code,
        "required_materials": found.required_materials,
        "export_approval_threshold": export_threshold(code),
        "version": found.version if found.pk else 0,
    }


@router.get("/oversight/settings", response={200: SettingOut, **problems(403)}, summary="监督设置（本省）")
def oversight_settings_get(request: HttpRequest) -> Any:
    user = current_user(request)
    require(user.role in (Role.PROVINCE_ADMIN, Role.PROVINCE_REVIEWER))
    return _setting_out(province_code_of(user.institution))


@router.put(
    "/oversight/settings",
    response={200: SettingOut, **problems(403, 409)},
    summary="修改监督设置（省级管理员）",
)
def oversight_settings_update(request: HttpRequest, payload: SettingIn) -> Any:
    user = current_user(request)
    oversight_setting_update(
        actor=user,
        version=payload.version,
        required_materials=payload.required_materials,
        export_approval_threshold=payload.export_approval_threshold,
    )
    return _setting_out(province_code_of(user.institution))
