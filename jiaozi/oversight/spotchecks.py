"""Spot checks (抽查) and revocation (撤销), §5: the province draws a reproducible,
county-stratified sample of filed registrations, assigns the rows to checkers, records
what they found, and revokes a registration or a certificate with a reason.

Every write checks its permission, moves its row by compare-and-set and writes its
audit row in the same transaction; revocations call the registry's services
(``certificate_revoke``, ``certificate_registration_revoke``) and registration's
workflow (``Action.REVOKE``) inside that transaction, so the certificate, its history,
the application and the public verification change together or not at all."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from jiaozi.accounts.actor import actor_of
from jiaozi.accounts.models import User
from jiaozi.audit.models import AuditKind
from jiaozi.audit.services import audit_record
from jiaozi.certificates.models import Certificate
from jiaozi.certificates.services import certificate_revoke
from jiaozi.core import clock
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from jiaozi.core.roles import Role
from jiaozi.notifications.services import INBOX, notify_many
from jiaozi.orgs.jurisdiction import scope_q
from jiaozi.orgs.models import Division, Institution, Level
from jiaozi.registration.models import Application, Campaign
from jiaozi.registration.transitions import application_transition
from jiaozi.registration.workflow import Action, Status

from . import rules
from .models import SpotCheck, SpotCheckItem

SMS = "sms"
# Filed registrations: the population of a spot check. A revoked one stays in it, so a
# later redraw still finds the rows the first draw did.
FILED = (Status.COMPLETED, Status.REVOKED)
SEED_MAX = 64
FINDING_MAX = 4000
SAMPLE_MAX = 50_000
# Who may be given items to check.
CHECKER_ROLES = frozenset({Role.PROVINCE_REVIEWER, Role.CITY_RECHECKER})
RECORDABLE = frozenset(
    {SpotCheckItem.Outcome.CONFIRMED, SpotCheckItem.Outcome.CORRECTED, SpotCheckItem.Outcome.IRREGULAR}
)
RECORDABLE_CHOICES = tuple((o.value, o.label) for o in SpotCheckItem.Outcome if o in RECORDABLE)
REVOKED_OUTCOMES = frozenset(
    {SpotCheckItem.Outcome.REGISTRATION_REVOKED, SpotCheckItem.Outcome.CERTIFICATE_REVOKED}
)


# --- Who may ---------------------------------------------------------------------------------


def is_province_overseer(user: User | None) -> bool:
    """A province reviewer of a province-level institution: draws, assigns, revokes."""
    if user is None:
        return False
    actor = actor_of(user)
    if not actor.is_active_staff or actor.role != Role.PROVINCE_REVIEWER:
        return False
    institution = user.institution
    return institution is not None and institution.level == Level.PROVINCE


def _overseer(user: User) -> Institution:
    if not is_province_overseer(user):
        raise PermissionDenied(_("只有省级终审员可以开展抽查和撤销。"))
    assert user.institution is not None
    return user.institution


def is_checker(user: User | None) -> bool:
    if user is None:
        return False
    actor = actor_of(user)
    return actor.is_active_staff and actor.role in CHECKER_ROLES


# --- Reads -----------------------------------------------------------------------------------


def spot_check_list_visible_to(*, user: User | None) -> QuerySet[SpotCheck]:
    """The spot checks of the user's institution and below; a checker also sees those
    with an item assigned to them."""
    if not is_checker(user):
        return SpotCheck.objects.none()
    assigned = SpotCheckItem.objects.filter(assignee=user).values("spot_check_id")
    return SpotCheck.objects.filter(
        scope_q(user, path_field="province__path") | Q(pk__in=assigned)
    ).distinct()


def spot_check_get(*, user: User | None, pk: Any) -> SpotCheck:
    try:
        return (
            spot_check_list_visible_to(user=user)
            .select_related("campaign", "province", "drawn_by")
            .get(pk=pk)
        )
    except (SpotCheck.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("抽查不存在或不在您的管辖范围内。")) from None


def items_visible_to(*, user: User | None, spot_check: SpotCheck) -> QuerySet[SpotCheckItem]:
    """All items for the province's overseers; a checker's own items otherwise."""
    items = SpotCheckItem.objects.filter(spot_check=spot_check)
    if not is_province_overseer(user) or user is None or user.institution_id != spot_check.province_id:
        items = items.filter(assignee=user)
    return items.select_related(
        "application__teacher",
        "application__certificate",
        "application__school",
        "application__registration_authority",
        "division",
        "assignee",
    )


def item_get(*, user: User | None, pk: Any) -> SpotCheckItem:
    if not is_checker(user):
        raise NotFound(_("抽查样本不存在或不在您的管辖范围内。"))
    try:
        item = SpotCheckItem.objects.select_related(
            "spot_check",
            "spot_check__province",
            "application__teacher",
            "application__certificate",
            "application__school",
            "division",
            "assignee",
        ).get(pk=pk)
    except (SpotCheckItem.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("抽查样本不存在或不在您的管辖范围内。")) from None
    assert user is not None
    mine = item.assignee_id == user.pk
    overseer = is_province_overseer(user) and user.institution_id == item.spot_check.province_id
    if not (mine or overseer):
        raise NotFound(_("抽查样本不存在或不在您的管辖范围内。"))
    return item


def checkers_for(*, user: User, spot_check: SpotCheck) -> QuerySet[User]:
    """Accounts the province may give items to: active province reviewers and city
    rechecker within its jurisdiction."""
    return (
        User.objects.filter(
            kind=User.Kind.STAFF,
            is_active=True,
            role__in=list(CHECKER_ROLES),
            institution__path__startswith=spot_check.province.path,
        )
        .select_related("institution")
        .order_by("institution__path", "real_name", "pk")
    )


def population(*, province: Institution, campaign: Campaign, until: dt.datetime) -> dict[str, list[int]]:
    """Filed registrations of ``campaign`` whose final review is ``province``'s and that
    were filed by ``until``: county (the school's division) → application ids."""
    rows = (
        Application.objects.filter(
            campaign=campaign,
            province_bureau=province,
            status__in=FILED,
            completed_at__lte=until,
            school__path__startswith=province.path,
        )
        .order_by("pk")
        .values_list("pk", "school__division_id")
    )
    strata: dict[str, list[int]] = defaultdict(list)
    for pk, division in rows:
        strata[division].append(pk)
    return dict(strata)


def spot_check_redraw(*, spot_check: SpotCheck) -> dict[str, Any]:
    """Draw again from the recorded seed, rule and population cut-off: the same rows in
    the same order when nothing was filed backwards in time (the digest says so)."""
    strata = population(
        province=spot_check.province, campaign=spot_check.campaign, until=spot_check.drawn_until
    )
    ids = [pk for pks in strata.values() for pk in pks]
    drawn = rules.draw(strata, spot_check.sample_count, seed=spot_check.seed)
    redrawn = [pk for key in sorted(drawn) for pk in drawn[key]]
    recorded = list(
        SpotCheckItem.objects.filter(spot_check=spot_check)
        .order_by("position")
        .values_list("application_id", flat=True)
    )
    return {
        "population": len(ids),
        "population_matches": rules.population_digest(ids) == spot_check.population_sha256,
        "ids": redrawn,
        "matches": redrawn == recorded,
    }


# --- Draw ------------------------------------------------------------------------------------


def _seed_of(seed: str) -> str:
    text = (seed or "").strip()
    if not text:
        return secrets.token_hex(8)
    if len(text) > SEED_MAX or not text.isprintable():
        raise ValidationFailed.on_field(
            "seed", _("随机种子不能超过%(max)d个可见字符。") % {"max": SEED_MAX}, code="invalid_seed"
        )
    return text


def _rule_of(mode: str, size: Any, percent: Any) -> tuple[int | None, Decimal | None]:
    if mode == SpotCheck.Mode.SIZE:
        try:
            number = int(size)
        except (TypeError, ValueError):
            number = 0
        if not 1 <= number <= SAMPLE_MAX:
            message = _("抽取数量须为1至%(max)d之间的整数。") % {"max": SAMPLE_MAX}
            raise ValidationFailed.on_field("size", message, code="invalid_size")
        return number, None
    if mode == SpotCheck.Mode.PERCENT:
        try:
            rate = Decimal(str(percent)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            rate = Decimal(0)
        if not Decimal("0.01") <= rate <= Decimal(100):
            raise ValidationFailed.on_field(
                "percent", _("抽取比例须在0.01%至100%之间。"), code="invalid_percent"
            )
        return None, rate
    raise ValidationFailed.on_field("mode", _("请选择抽样方式。"), code="invalid_mode")


def spot_check_draw(
    *,
    actor: User,
    campaign_id: Any,
    title: str,
    mode: str,
    size: Any = None,
    percent: Any = None,
    seed: str = "",
) -> SpotCheck:
    """Draw a sample of the province's filed registrations of a campaign, stratified by
    county with proportional allocation; the seed (given, or a fresh random one) and the
    population are recorded so that ``spot_check_redraw`` gives the same rows."""
    province = _overseer(actor)
    name = (title or "").strip()
    if not name or len(name) > 128:
        raise ValidationFailed.on_field("title", _("请填写抽查名称（不超过128字）。"), code="title_required")
    try:
        campaign = Campaign.objects.get(pk=campaign_id, province_code=province.division_id)
    except (Campaign.DoesNotExist, ValueError, TypeError):
        raise ValidationFailed.on_field(
            "campaign", _("请选择本省的定期注册工作。"), code="invalid_campaign"
        ) from None
    number, rate = _rule_of(mode, size, percent)
    text_seed = _seed_of(seed)
    now = clock.now()
    strata = population(province=province, campaign=campaign, until=now)
    ids = [pk for pks in strata.values() for pk in pks]
    if not ids:
        raise Conflict(_("该定期注册工作尚无已备案的申请，无法抽查。"), code="empty_population")
    total = rules.sample_size(len(ids), size=number, percent=rate)
    drawn = rules.draw(strata, total, seed=text_seed)
    names = dict(Division.objects.filter(code__in=list(strata)).values_list("code", "name"))
    with transaction.atomic():
        spot_check = SpotCheck.objects.create(
            province=province,
            campaign=campaign,
            title=name,
            mode=mode,
            size=number,
            percent=rate,
            seed=text_seed,
            drawn_until=now,
            population=len(ids),
            population_sha256=rules.population_digest(ids),
            sample_count=total,
            strata=[
                {
                    "division": key,
                    "name": names.get(key, key),
                    "population": len(strata[key]),
                    "sample": len(drawn[key]),
                }
                for key in sorted(strata)
            ],
            drawn_by=actor,
            drawn_at=now,
        )
        items = [
            SpotCheckItem(spot_check=spot_check, application_id=pk, division_id=key, position=position)
            for position, (key, pk) in enumerate(((k, pk) for k in sorted(drawn) for pk in drawn[k]), start=1)
        ]
        SpotCheckItem.objects.bulk_create(items, batch_size=1000)
        audit_record(
            kind=AuditKind.SPOT_CHECK_DRAWN,
            actor=actor,
            obj=spot_check,
            details={
                "campaign": campaign.pk,
                "mode": mode,
                "size": number,
                "percent": str(rate) if rate is not None else None,
                "seed": text_seed,
                "population": len(ids),
                "population_sha256": spot_check.population_sha256,
                "sample": total,
            },
        )
    return spot_check


# --- Assign, record, close -------------------------------------------------------------------


def _open(spot_check: SpotCheck) -> None:
    if spot_check.state != SpotCheck.State.OPEN:
        raise Conflict(_("该抽查已结束，不能再修改。"), code="spot_check_closed")


def spot_check_assign(*, actor: User, spot_check_id: Any, item_ids: list[int], assignee_id: Any) -> int:
    """Give items to a checker: a province reviewer of the province, or a city rechecker
    for the items of schools in that city. Returns how many items changed."""
    province = _overseer(actor)
    spot_check = spot_check_get(user=actor, pk=spot_check_id)
    if spot_check.province_id != province.pk:
        raise NotFound(_("抽查不存在或不在您的管辖范围内。"))
    _open(spot_check)
    try:
        assignee = checkers_for(user=actor, spot_check=spot_check).get(pk=assignee_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise ValidationFailed.on_field(
            "assignee", _("请选择有效的核查人。"), code="invalid_assignee"
        ) from None
    ids = sorted({int(pk) for pk in item_ids if str(pk).isdigit()})
    if not ids:
        raise ValidationFailed.on_field("items", _("请选择要分配的样本。"), code="items_required")
    items = SpotCheckItem.objects.filter(spot_check=spot_check, pk__in=ids)
    if items.count() != len(ids):
        raise ValidationFailed.on_field("items", _("所选样本不属于该抽查。"), code="invalid_items")
    assert assignee.institution is not None
    outside = items.exclude(application__school__path__startswith=assignee.institution.path)
    if outside.exists():
        message = _("核查人只能核查其管辖范围内学校的样本。")
        raise ValidationFailed.on_field("assignee", message, code="assignee_out_of_scope")
    now = clock.now()
    with transaction.atomic():
        changed = (
            SpotCheckItem.objects.filter(pk__in=ids, outcome=SpotCheckItem.Outcome.PENDING)
            .exclude(assignee=assignee)
            .update(assignee=assignee, assigned_at=now, version=F("version") + 1)
        )
        audit_record(
            kind=AuditKind.SPOT_CHECK_ASSIGNED,
            actor=actor,
            obj=spot_check,
            details={"items": ids, "assignee": assignee.pk, "changed": changed},
        )
        if changed:
            notify_many(
                users=[assignee],
                kind="oversight.assigned",
                title=_("您有新的抽查核查任务"),
                body=_("省级抽查「%(title)s」分配给您%(n)d条样本，请及时核查。")
                % {"title": spot_check.title, "n": changed},
                channels=(INBOX,),
            )
    return changed


def _item_cas(item: SpotCheckItem, version: Any, values: dict[str, Any]) -> None:
    try:
        expected = int(version)
    except (TypeError, ValueError):
        expected = -1
    if expected != item.version:
        raise Conflict(_("该样本已被他人修改，请刷新后重试。"), code="stale_version")
    moved = SpotCheckItem.objects.filter(pk=item.pk, version=item.version).update(
        **values, version=F("version") + 1
    )
    if moved != 1:
        raise Conflict(_("该样本已被他人修改，请刷新后重试。"), code="stale_version")
    for name, value in values.items():
        setattr(item, name, value)
    item.version += 1


def _finding_of(finding: str, *, required: bool) -> str:
    text = (finding or "").strip()
    if required and not text:
        raise ValidationFailed.on_field("finding", _("请填写核查情况。"), code="finding_required")
    if len(text) > FINDING_MAX:
        message = _("核查情况不能超过%(max)d字。") % {"max": FINDING_MAX}
        raise ValidationFailed.on_field("finding", message, code="finding_too_long")
    return text


def spot_check_item_record(
    *, actor: User, item_id: Any, version: Any, finding: str, outcome: str
) -> SpotCheckItem:
    """The checker's (or the province's) finding on one item: no problem, a problem put
    right, or a problem that calls for revocation (which the province then decides)."""
    item = item_get(user=actor, pk=item_id)
    _open(item.spot_check)
    if outcome not in RECORDABLE:
        raise ValidationFailed.on_field("outcome", _("请选择核查结果。"), code="invalid_outcome")
    if item.outcome in REVOKED_OUTCOMES:
        raise Conflict(_("该样本已作撤销处理，不能再修改核查结果。"), code="already_revoked")
    text = _finding_of(finding, required=outcome != SpotCheckItem.Outcome.CONFIRMED)
    now = clock.now()
    with transaction.atomic():
        _item_cas(
            item, version, {"finding": text, "outcome": outcome, "decided_by": actor, "decided_at": now}
        )
        audit_record(
            kind=AuditKind.SPOT_CHECK_FINDING_RECORDED,
            actor=actor,
            obj=item,
            details={
                "spot_check": item.spot_check_id,
                "application": item.application_id,
                "outcome": outcome,
            },
        )
    return item


def spot_check_close(*, actor: User, spot_check_id: Any, version: Any, conclusion: str) -> SpotCheck:
    province = _overseer(actor)
    spot_check = spot_check_get(user=actor, pk=spot_check_id)
    if spot_check.province_id != province.pk:
        raise NotFound(_("抽查不存在或不在您的管辖范围内。"))
    _open(spot_check)
    waiting = SpotCheckItem.objects.filter(
        spot_check=spot_check, outcome__in=[SpotCheckItem.Outcome.PENDING, SpotCheckItem.Outcome.IRREGULAR]
    ).count()
    if waiting:
        message = _("还有%(n)d条样本待核查或待作撤销决定，不能结束抽查。") % {"n": waiting}
        raise Conflict(message, code="items_open")
    text = _finding_of(conclusion, required=True)
    now = clock.now()
    with transaction.atomic():
        moved = SpotCheck.objects.filter(
            pk=spot_check.pk, version=_int(version), state=SpotCheck.State.OPEN
        ).update(
            state=SpotCheck.State.CLOSED,
            closed_by=actor,
            closed_at=now,
            conclusion=text,
            version=F("version") + 1,
        )
        if moved != 1:
            raise Conflict(_("该抽查已被他人修改，请刷新后重试。"), code="stale_version")
        audit_record(
            kind=AuditKind.SPOT_CHECK_CLOSED,
            actor=actor,
            obj=spot_check,
            details={"items": spot_check.sample_count},
        )
    spot_check.refresh_from_db()
    return spot_check


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


# --- Revocation ------------------------------------------------------------------------------


def registration_revoke(
    *, actor: User, application_id: Any, version: Any, reason: str, item: SpotCheckItem | None = None
) -> Application:
    """Revoke a filed registration through registration's workflow (REVOKE): the
    application moves to 已撤销注册 (step, audit, the applicant's notification) and, in
    the same transaction, completion undoes the filing — the certificate's registration
    record goes back to before it and the QR code of the form stops counting."""
    _overseer(actor)
    return application_transition(
        actor=actor, application_id=application_id, action=Action.REVOKE, version=_int(version), reason=reason
    )


def certificate_list_visible_to(*, user: User | None) -> QuerySet[Certificate]:
    if not is_province_overseer(user):
        return Certificate.objects.none()
    return Certificate.objects.filter(scope_q(user, path_field="teacher__school__path"))


def certificate_revoke_by_province(
    *, actor: User, certificate_id: Any, version: Any, reason: str, item: SpotCheckItem | None = None
) -> Certificate:
    """Revoke a certificate (撤销教师资格): status, history event, audit row and the
    holder's notification in one transaction; the public verification shows it at once."""
    province = _overseer(actor)
    with transaction.atomic():
        try:
            certificate = certificate_list_visible_to(user=actor).get(pk=certificate_id)
        except (Certificate.DoesNotExist, ValueError, TypeError):
            raise NotFound(_("证书不存在或不在您的管辖范围内。")) from None
        if _int(version) != certificate.version:
            raise Conflict(_("证书信息已被他人修改，请刷新后重试。"), code="stale_version")
        certificate_revoke(
            certificate=certificate,
            reason=reason,
            actor=actor,
            institution=province,
            source=item,
            audit_details={"spot_check_item": item.pk} if item else None,
        )
        holders = list(
            User.objects.filter(
                pk__in=Application.objects.filter(certificate=certificate).values("applicant_id")
            ).distinct()
        )
        if holders:
            notify_many(
                users=holders,
                kind="oversight.certificate_revoked",
                title=_("教师资格证书已被撤销"),
                body=_("您的教师资格证书（%(number)s）已被撤销，撤销原因请登录系统查看。")
                % {"number": certificate.number},
                channels=(INBOX, SMS),
            )
    return certificate


def spot_check_item_revoke(
    *, actor: User, item_id: Any, version: Any, target: str, reason: str
) -> SpotCheckItem:
    """The province's revocation decided on a spot-check item: ``target`` is
    ``registration`` or ``certificate``. The item records it in the same transaction."""
    _overseer(actor)
    item = item_get(user=actor, pk=item_id)
    if item.spot_check.province_id != actor.institution_id:
        raise NotFound(_("抽查样本不存在或不在您的管辖范围内。"))
    _open(item.spot_check)
    if item.outcome in REVOKED_OUTCOMES:
        raise Conflict(_("该样本已作撤销处理。"), code="already_revoked")
    if target not in ("registration", "certificate"):
        raise ValidationFailed.on_field("target", _("请选择撤销注册或撤销证书。"), code="invalid_target")
    if _int(version) != item.version:
        raise Conflict(_("该样本已被他人修改，请刷新后重试。"), code="stale_version")
    now = clock.now()
    with transaction.atomic():
        if target == "registration":
            application = item.application
            registration_revoke(
                actor=actor,
                application_id=application.pk,
                version=application.version,
                reason=reason,
                item=item,
            )
            outcome = SpotCheckItem.Outcome.REGISTRATION_REVOKED
        else:
            certificate = item.application.certificate
            certificate_revoke_by_province(
                actor=actor,
                certificate_id=certificate.pk,
                version=certificate.version,
                reason=reason,
                item=item,
            )
            outcome = SpotCheckItem.Outcome.CERTIFICATE_REVOKED
        finding = item.finding or reason.strip()
        _item_cas(
            item, version, {"outcome": outcome, "finding": finding, "decided_by": actor, "decided_at": now}
        )
        audit_record(
            kind=AuditKind.SPOT_CHECK_FINDING_RECORDED,
            actor=actor,
            obj=item,
            details={
                "spot_check": item.spot_check_id,
                "application": item.application_id,
                "outcome": outcome,
            },
        )
    return item
