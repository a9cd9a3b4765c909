"""Staff pages of confirmation: the authority's admin defines points, days and slots;
the confirmation user works the day's list (check-in by code or resident ID, no-show).
Views parse input, call one service or selector, render. A resident ID is only ever
posted, never put in a URL."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from jiaozi.accounts.decorators import staff_required, staff_user
from jiaozi.core import clock
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    WindowClosed,
)
from jiaozi.core.masking import mask_resident_id
from jiaozi.core.roles import Role

from . import rules, selectors, services, tokens
from .forms import (
    CapacityForm,
    CodeForm,
    DayForm,
    DayPickForm,
    PointCreateForm,
    PointEditForm,
    ResidentIdForm,
    SlotForm,
)
from .models import Booking, ConfirmationPoint
from .permissions import ADMIN_ROLES, VIEW_ROLES, can_manage_authority_points, can_work_at_point
from .references import reference_resolve

CLERK = Role.CONFIRMATION_USER


def _require_manage(request: HttpRequest, authority_id: int) -> None:
    """The admin of the point's own authority; others in scope read only (403)."""
    if not can_manage_authority_points(actor=staff_user(request), authority_id=authority_id):
        raise PermissionDenied(_("只有本认定机构的管理员可以设置确认点。"))


def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("确认点"), reverse("confirmation:point_list")), *items]


# ── points (the authority's admin; others in scope read) ─────────────────────


@staff_required(*VIEW_ROLES)
@domain_errors
@require_http_methods(["GET"])
def point_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    if user.role == CLERK:
        return redirect("confirmation:day_list")
    points = selectors.point_list_visible_to(user=user)
    return render(
        request,
        "confirmation/point_list.html",
        {
            "points": points,
            "can_create": user.role in ADMIN_ROLES
            and can_manage_authority_points(actor=user, authority_id=user.institution_id or 0)
            and getattr(user.institution, "kind", "") == "bureau",
            "nav_active": "confirmation:point_list",
            "breadcrumbs": [(_("确认点"), None)],
        },
    )


@staff_required(*ADMIN_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def point_create(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = PointCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            point = services.confirmation_point_create(actor=user, **form.cleaned_data)
            messages.success(request, _("确认点已设置。请添加开放日和预约时段，并为其备案确认用户。"))
            return redirect("confirmation:point_detail", pk=point.pk)
    return render(
        request,
        "confirmation/point_form.html",
        {
            "form": form,
            "title": _("新增确认点"),
            "nav_active": "confirmation:point_list",
            "breadcrumbs": _crumbs((_("新增确认点"), None)),
        },
    )


def _point_context(request: HttpRequest, point: ConfirmationPoint, **extra: object) -> dict[str, object]:
    user = staff_user(request)
    since = clock.today()
    return {
        "point": point,
        "days": selectors.day_list(point=point, since=since),
        "can_manage": can_manage_authority_points(actor=user, authority_id=point.authority_id),
        "day_form": DayForm(),
        "slot_form": SlotForm(initial={"capacity": 30}),
        "slot_form_blank": SlotForm(initial={"capacity": 30}),
        "nav_active": "confirmation:point_list",
        "breadcrumbs": _crumbs((point.name, None)),
        **extra,
    }


@staff_required(*VIEW_ROLES)
@domain_errors
@require_http_methods(["GET"])
def point_detail(request: HttpRequest, pk: int) -> HttpResponse:
    point = selectors.point_get_visible_to(user=staff_user(request), pk=pk)
    return render(request, "confirmation/point_detail.html", _point_context(request, point))


@staff_required(*ADMIN_ROLES)
@domain_errors
@require_http_methods(["GET", "POST"])
def point_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    point = selectors.point_get_visible_to(user=user, pk=pk)
    _require_manage(request, point.authority_id)
    if request.method == "POST":
        form = PointEditForm(request.POST)
        if form.is_valid():
            with form_errors(form, ValidationFailed, Conflict):
                services.confirmation_point_update(actor=user, point_id=point.pk, **form.cleaned_data)
                messages.success(request, _("确认点信息已保存。"))
                return redirect("confirmation:point_detail", pk=point.pk)
    else:
        form = PointEditForm(
            initial={
                "address": point.institution.address,
                "phone": point.institution.phone,
                "directions": point.directions,
                "is_open": point.is_open,
                "version": point.version,
            }
        )
    return render(
        request,
        "confirmation/point_form.html",
        {
            "form": form,
            "title": _("修改确认点"),
            "point": point,
            "nav_active": "confirmation:point_list",
            "breadcrumbs": _crumbs(
                (point.name, reverse("confirmation:point_detail", args=[point.pk])), (_("修改"), None)
            ),
        },
    )


@staff_required(*ADMIN_ROLES)
@domain_errors
@require_POST
def day_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    point = selectors.point_get_visible_to(user=user, pk=pk)
    _require_manage(request, point.authority_id)
    form = DayForm(request.POST)
    if form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            day = services.opening_day_add(actor=user, point_id=point.pk, **form.cleaned_data)
            messages.success(request, _("已添加开放日 %(date)s。") % {"date": f"{day.date:%Y-%m-%d}"})
            return redirect(reverse("confirmation:point_detail", args=[point.pk]) + f"#day-{day.pk}")
    return render(
        request, "confirmation/point_detail.html", _point_context(request, point, day_form=form), status=400
    )


@staff_required(*ADMIN_ROLES)
@domain_errors
@require_POST
def day_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    day = selectors.day_get_visible_to(user=user, pk=pk)
    _require_manage(request, day.point.authority_id)
    try:
        services.opening_day_remove(actor=user, day_id=day.pk)
        messages.success(request, _("已删除开放日 %(date)s。") % {"date": f"{day.date:%Y-%m-%d}"})
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect("confirmation:point_detail", pk=day.point_id)


@staff_required(*ADMIN_ROLES)
@domain_errors
@require_POST
def slot_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    day = selectors.day_get_visible_to(user=user, pk=pk)
    _require_manage(request, day.point.authority_id)
    form = SlotForm(request.POST)
    if form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            slots = services.time_slot_add(actor=user, day_id=day.pk, **form.cleaned_data)
            messages.success(request, _("已添加 %(n)d 个时段。") % {"n": len(slots)})
            return redirect(reverse("confirmation:point_detail", args=[day.point_id]) + f"#day-{day.pk}")
    point = day.point
    return render(
        request,
        "confirmation/point_detail.html",
        _point_context(request, point, slot_form=form, slot_form_day=day.pk),
        status=400,
    )


@staff_required(*ADMIN_ROLES)
@domain_errors
@require_POST
def slot_capacity(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    slot = selectors.slot_get_visible_to(user=user, pk=pk)
    _require_manage(request, slot.point.authority_id)
    form = CapacityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("可预约人数应在1至500之间。"))
    else:
        try:
            services.time_slot_set_capacity(
                actor=user, slot_id=slot.pk, capacity=form.cleaned_data["capacity"]
            )
            messages.success(
                request,
                _("时段 %(slot)s 的可预约人数已改为 %(n)d。")
                % {"slot": str(slot), "n": form.cleaned_data["capacity"]},
            )
        except (Conflict, ValidationFailed) as exc:
            messages.error(request, exc.message)
    return redirect(reverse("confirmation:point_detail", args=[slot.point_id]) + f"#day-{slot.day_id}")


@staff_required(*ADMIN_ROLES)
@domain_errors
@require_POST
def slot_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    slot = selectors.slot_get_visible_to(user=user, pk=pk)
    _require_manage(request, slot.point.authority_id)
    try:
        services.time_slot_remove(actor=user, slot_id=slot.pk)
        messages.success(request, _("已删除时段 %(slot)s。") % {"slot": str(slot)})
    except Conflict as exc:
        messages.error(request, exc.message)
    return redirect(reverse("confirmation:point_detail", args=[slot.point_id]) + f"#day-{slot.day_id}")


# ── the day's list (confirmation users) ──────────────────────────────────────


def _day_of(request: HttpRequest) -> dt.date:
    pick = DayPickForm(request.GET or None)
    if pick.is_bound and pick.is_valid() and pick.cleaned_data["date"]:
        return pick.cleaned_data["date"]
    return clock.today()


def _day_context(request: HttpRequest, **extra: object) -> dict[str, object]:
    user = staff_user(request)
    point = selectors.point_of_user(user=user)
    date = _day_of(request)
    bookings = selectors.booking_day_list(user=user, point=point, date=date)
    counts = selectors.booking_counts_of_day(user=user, point=point, date=date)
    now = clock.now()
    return {
        "point": point,
        "date": date,
        "is_today": date == clock.today(),
        "prev_day": date - dt.timedelta(days=1),
        "next_day": date + dt.timedelta(days=1),
        "bookings": [
            {
                "booking": b,
                "resident_id": mask_resident_id(b.applicant.resident_id),
                "may_check_in": b.status == Booking.Status.BOOKED and rules.may_check_in(now, b.date),
                "may_no_show": b.status == Booking.Status.BOOKED
                and rules.may_mark_no_show(now, b.date, b.slot.ends_at),
            }
            for b in bookings
        ],
        "counts": {
            "total": sum(counts.values()),
            "checked_in": counts.get(Booking.Status.CHECKED_IN, 0),
            "waiting": counts.get(Booking.Status.BOOKED, 0),
            "no_show": counts.get(Booking.Status.NO_SHOW, 0),
        },
        "code_form": CodeForm(),
        "id_form": ResidentIdForm(),
        "pick_form": DayPickForm(initial={"date": date}),
        "nav_active": "confirmation:day_list",
        "breadcrumbs": [(_("预约签到"), None)],
        **extra,
    }


@staff_required(CLERK)
@domain_errors
@require_http_methods(["GET"])
def day_list(request: HttpRequest) -> HttpResponse:
    return render(request, "confirmation/day_list.html", _day_context(request))


@staff_required(CLERK)
@domain_errors
@require_POST
def check_in_code(request: HttpRequest) -> HttpResponse:
    """Check in by the scanned or typed code (a hand scanner types it into the field)."""
    user = staff_user(request)
    form = CodeForm(request.POST)
    if form.is_valid():
        with form_errors(form, ValidationFailed, Conflict, NotFound, WindowClosed):
            booking = services.booking_check_in_by_code(actor=user, code=form.cleaned_data["code"])
            messages.success(request, _("%(label)s 已签到。") % {"label": booking.label})
            return redirect("confirmation:booking_detail", pk=booking.pk)
    return render(request, "confirmation/day_list.html", _day_context(request, code_form=form), status=400)


@staff_required(CLERK)
@domain_errors
@require_http_methods(["GET", "POST"])
def check_in_scan(request: HttpRequest, code: str) -> HttpResponse:
    """The code's own address (pasted or opened): shows the booking, checks in on POST."""
    user = staff_user(request)
    try:
        booking = selectors.booking_get_by_code(user=user, code=code)
    except ValidationFailed as exc:
        raise NotFound(exc.message) from None
    if request.method == "POST":
        try:
            services.booking_check_in(actor=user, booking_id=booking.pk)
            messages.success(request, _("%(label)s 已签到。") % {"label": booking.label})
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("confirmation:booking_detail", pk=booking.pk)
    return render(
        request, "confirmation/booking_detail.html", _booking_context(request, booking, scanned=True)
    )


@sensitive_post_parameters("resident_id")
@staff_required(CLERK)
@domain_errors
@require_POST
def find_by_resident_id(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    form = ResidentIdForm(request.POST)
    found: list[Booking] | None = None
    if form.is_valid():
        with form_errors(form, ValidationFailed):
            found = services.booking_find_by_resident_id(
                actor=user, resident_id=form.cleaned_data["resident_id"]
            )
    # A found applicant's number is not echoed back into the page.
    context = _day_context(request, id_form=form if found is None else ResidentIdForm(), found=found)
    return render(request, "confirmation/day_list.html", context, status=200 if found is not None else 400)


# ── one booking (staff) ──────────────────────────────────────────────────────


def _booking_context(request: HttpRequest, booking: Booking, **extra: object) -> dict[str, object]:
    user = staff_user(request)
    try:
        reference = reference_resolve(booking.reference_kind, booking.reference_id, user)
    except NotFound:
        reference = None
    is_clerk = can_work_at_point(actor=user, point_institution_id=booking.point.institution_id)
    now = clock.now()
    return {
        "booking": booking,
        "reference": reference,
        "resident_id": mask_resident_id(booking.applicant.resident_id),
        "code": tokens.code_of(booking.token) if is_clerk else "",
        "may_check_in": is_clerk
        and booking.status == Booking.Status.BOOKED
        and rules.may_check_in(now, booking.date),
        "may_no_show": is_clerk
        and booking.status == Booking.Status.BOOKED
        and rules.may_mark_no_show(now, booking.date, booking.slot.ends_at),
        "nav_active": "confirmation:day_list" if is_clerk else "confirmation:point_list",
        "breadcrumbs": [
            (_("预约签到"), reverse("confirmation:day_list") + f"?date={booking.date:%Y-%m-%d}")
            if is_clerk
            else (booking.point.name, reverse("confirmation:point_detail", args=[booking.point_id])),
            (booking.label or _("预约"), None),
        ],
        **extra,
    }


@staff_required(*VIEW_ROLES)
@domain_errors
@require_http_methods(["GET"])
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = selectors.booking_get_visible_to(user=staff_user(request), pk=pk)
    return render(request, "confirmation/booking_detail.html", _booking_context(request, booking))


@staff_required(CLERK)
@domain_errors
@require_POST
def booking_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    booking = selectors.booking_get_visible_to(user=user, pk=pk)
    try:
        services.booking_check_in(actor=user, booking_id=booking.pk, version=_version(request))
        messages.success(request, _("%(label)s 已签到。") % {"label": booking.label})
    except (Conflict, ValidationFailed, WindowClosed) as exc:
        messages.error(request, exc.message)
    return redirect("confirmation:booking_detail", pk=booking.pk)


@staff_required(CLERK)
@domain_errors
@require_POST
def booking_no_show(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    booking = selectors.booking_get_visible_to(user=user, pk=pk)
    try:
        services.booking_mark_no_show(
            actor=user, booking_id=booking.pk, version=_version(request) or booking.version
        )
        messages.success(request, _("%(label)s 已标记为未到场。") % {"label": booking.label})
    except (Conflict, ValidationFailed, WindowClosed) as exc:
        messages.error(request, exc.message)
    return redirect(reverse("confirmation:day_list") + f"?date={booking.date:%Y-%m-%d}")


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None
