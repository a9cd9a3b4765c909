"""The applicant's booking pages at /me/bookings/: choose a slot at the certifying
authority of the record, see the booking with its QR check-in code, move or cancel it
until the cut-off. Staff accounts are turned away; ids in paths are checked against the
signed-in applicant."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from itertools import groupby
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from jiaozi.accounts.actor import actor_of
from jiaozi.accounts.events import access_denied_event
from jiaozi.accounts.models import User
from jiaozi.accounts.services import password_expired
from jiaozi.core import clock
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, NotFound, ValidationFailed, WindowClosed

from . import qr, rules, selectors, services, tokens
from .forms import SlotChoiceForm, VersionForm
from .models import Booking, TimeSlot
from .references import Reference, reference_resolve, references_pending

V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def applicant_only(view: V) -> V:
    """Signed-in applicants only: anonymous → the applicant sign-in page, staff → 403
    (the applicant area's own rules, kept here because confirmation sits below it)."""

    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not isinstance(user, User):
            url = reverse("applicants:login")
            if request.method == "GET":
                url = f"{url}?{urlencode({'next': request.get_full_path()})}"
            return redirect(url)
        if not actor_of(user).is_active_applicant:
            access_denied_event(user=user, path=request.path, reason="not_applicant")
            return render(request, "applicants/not_applicant.html", status=403)
        if password_expired(user):
            return redirect("applicants:password_change")
        return view(request, *args, **kwargs)

    return cast(V, wrapped)


def _crumbs(*items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [
        (_("我的首页"), reverse("applicants:home")),
        (_("现场确认预约"), reverse("confirmation_applicant:booking_list")),
        *items,
    ]


def _grouped(slots: list[TimeSlot]) -> list[dict[str, Any]]:
    """Slots by point, then by day, for the choice page."""
    points = []
    for _point_id, by_point in groupby(slots, key=lambda s: s.point_id):
        items = list(by_point)
        days = [
            {"date": d, "slots": list(day_slots)} for d, day_slots in groupby(items, key=lambda s: s.date)
        ]
        points.append({"point": items[0].point, "days": days})
    return points


def _choice_page(
    request: HttpRequest,
    *,
    reference: Reference,
    form: SlotChoiceForm,
    slots: list[TimeSlot],
    booking: Booking | None,
) -> HttpResponse:
    return render(
        request,
        "confirmation/applicant/choose.html",
        {
            "reference": reference,
            "form": form,
            "points": _grouped(slots),
            "booking": booking,
            "deadline_rule": _("预约、改约和取消须在确认日前一天17:00前办理。"),
            "nav": "bookings",
            "crumbs": _crumbs((_("改约") if booking else _("选择时段"), None)),
        },
        status=400 if form.is_bound else 200,
    )


def _slots_for(reference: Reference) -> list[TimeSlot]:
    return list(
        selectors.slots_bookable(
            authority_id=reference.authority_id, point_institution_id=reference.point_institution_id
        )
    )


@applicant_only
@domain_errors
@require_http_methods(["GET"])
def booking_list(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    bookings = list(selectors.booking_list_of_applicant(user=user)[:50])
    return render(
        request,
        "confirmation/applicant/list.html",
        {
            "bookings": bookings,
            "pending": references_pending(user),
            "nav": "bookings",
            "crumbs": [*_crumbs()[:1], (_("现场确认预约"), None)],
        },
    )


@applicant_only
@domain_errors
@require_http_methods(["GET", "POST"])
def booking_new(request: HttpRequest, kind: str, reference_id: int) -> HttpResponse:
    user = cast(User, request.user)
    reference = reference_resolve(kind, reference_id, user)
    if reference.applicant_id != user.pk:
        raise NotFound(_("要预约的业务不存在。"))
    current = selectors.booking_for_reference(kind, reference_id)
    if current is not None and current.is_live:
        messages.info(request, _("该业务已有预约，如需更换时间请改约。"))
        return redirect("confirmation_applicant:booking_detail", pk=current.pk)
    slots = _slots_for(reference)
    form = SlotChoiceForm(request.POST or None, slots=slots)
    if request.method == "POST" and form.is_valid():
        with form_errors(form, ValidationFailed, Conflict, WindowClosed, NotFound, fallback_field="slot"):
            booking = services.booking_create(
                actor=user, kind=kind, reference_id=reference_id, slot_id=form.slot_id()
            )
            messages.success(
                request, _("预约成功。请在预约时段携带身份证原件和申请材料到确认点，出示签到二维码。")
            )
            return redirect("confirmation_applicant:booking_detail", pk=booking.pk)
        form = SlotChoiceForm(request.POST, slots=_slots_for(reference))
        form.is_valid()
        form.add_error("slot", _("请重新选择时段。"))
    return _choice_page(request, reference=reference, form=form, slots=slots, booking=None)


@applicant_only
@domain_errors
@require_http_methods(["GET"])
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    booking = selectors.booking_get_of_applicant(user=user, pk=pk)
    if booking.status == Booking.Status.MOVED and hasattr(booking, "moved_to"):
        return redirect("confirmation_applicant:booking_detail", pk=booking.moved_to.pk)
    changeable = booking.status == Booking.Status.BOOKED and rules.may_change(clock.now(), booking.date)
    try:
        reference: Reference | None = reference_resolve(booking.reference_kind, booking.reference_id, user)
    except NotFound:
        reference = None
    return render(
        request,
        "confirmation/applicant/detail.html",
        {
            "booking": booking,
            "reference": reference,
            "code": tokens.code_of(booking.token) if booking.status == Booking.Status.BOOKED else "",
            "changeable": changeable,
            "deadline": rules.change_deadline(booking.date),
            "nav": "bookings",
            "crumbs": _crumbs((booking.label or _("预约"), None)),
        },
    )


@applicant_only
@domain_errors
@require_http_methods(["GET"])
def booking_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The check-in QR code as SVG (``?format=png`` for a PNG to save or print)."""
    user = cast(User, request.user)
    booking = selectors.booking_get_of_applicant(user=user, pk=pk)
    if booking.status != Booking.Status.BOOKED:
        raise NotFound(_("该预约没有有效的签到码。"))
    code = tokens.code_of(booking.token)
    if request.GET.get("format") == "png":
        response = HttpResponse(qr.qr_png(code), content_type="image/png")
        response["Content-Disposition"] = f'attachment; filename="booking-{booking.pk}.png"'
    else:
        response = HttpResponse(qr.qr_svg(code), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@applicant_only
@domain_errors
@require_http_methods(["GET", "POST"])
def booking_move(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    booking = selectors.booking_get_of_applicant(user=user, pk=pk)
    reference = reference_resolve(booking.reference_kind, booking.reference_id, user)
    slots = [s for s in _slots_for(reference) if s.pk != booking.slot_id]
    form = SlotChoiceForm(request.POST or None, slots=slots)
    if request.method == "POST" and form.is_valid():
        version = VersionForm(request.POST)
        if not version.is_valid():
            form.add_error(None, _("页面已过期，请刷新后重试。"))
        else:
            with form_errors(form, ValidationFailed, Conflict, WindowClosed, NotFound, fallback_field="slot"):
                moved = services.booking_move(
                    actor=user,
                    booking_id=booking.pk,
                    version=version.cleaned_data["version"],
                    slot_id=form.slot_id(),
                )
                messages.success(request, _("改约成功，原预约已取消。新的签到二维码如下。"))
                return redirect("confirmation_applicant:booking_detail", pk=moved.pk)
    return _choice_page(request, reference=reference, form=form, slots=slots, booking=booking)


@applicant_only
@domain_errors
@require_POST
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user = cast(User, request.user)
    booking = selectors.booking_get_of_applicant(user=user, pk=pk)
    version = VersionForm(request.POST)
    try:
        services.booking_cancel(
            actor=user,
            booking_id=booking.pk,
            version=version.cleaned_data["version"] if version.is_valid() else 0,
        )
        messages.success(request, _("预约已取消。"))
    except (Conflict, WindowClosed, ValidationFailed) as exc:
        messages.error(request, exc.message)
    return redirect("confirmation_applicant:booking_detail", pk=booking.pk)
