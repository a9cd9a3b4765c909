"""Staff sign-in (password → TOTP → workspace), password change, and staff filing pages.

Views parse input, call one service or selector and render; the rules live in
services.py, permissions.py and middleware.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeGuard

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_login_failed
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from jiaozi.core import clock
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from . import events, mfa, selectors, services
from .actor import is_staff_account
from .decorators import forbidden, is_verified, staff_required, staff_user
from .forms import (
    LoginForm,
    PasswordChangeForm,
    ReasonForm,
    ResetPasswordForm,
    StaffCreateForm,
    StaffFilterForm,
    StaffUpdateForm,
    TokenForm,
    VersionForm,
)
from .middleware import refresh_fingerprint
from .models import User
from .permissions import FILER_ROLES, STAFF_VIEWER_ROLES, can_manage_staff

OTP_FAILURES = "jz_otp_failures"
OTP_MAX_FAILURES = 5
STAFF_PAGE_SIZE = 20
NAV = "accounts:staff_list"


# --- helpers -----------------------------------------------------------------------


def workspace_url() -> str:
    try:
        return reverse("workspace:home")
    except NoReverseMatch:
        return f"/{settings.STAFF_URL_PREFIX}/"


def _next_url(request: HttpRequest) -> str:
    """Where to go after sign-in: a ``next`` inside the staff area, else the workspace."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if (
        candidate
        and candidate.startswith(f"/{settings.STAFF_URL_PREFIX}/")
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        and not candidate.startswith(reverse("accounts:login"))
    ):
        return candidate
    return workspace_url()


def _with_next(url: str, request: HttpRequest) -> str:
    from urllib.parse import urlencode

    target = _next_url(request)
    return url if target == workspace_url() else f"{url}?{urlencode({'next': target})}"


def _is_staff(user: User | AnonymousUser) -> TypeGuard[User]:
    return isinstance(user, User) and is_staff_account(user)


# --- sign-in ----------------------------------------------------------------------


@never_cache
@sensitive_post_parameters("password")
def login_view(request: HttpRequest) -> HttpResponse:
    if _is_staff(request.user) and (is_verified(request.user) or not settings.STAFF_MFA_REQUIRED):
        return redirect(_next_url(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        username, password = form.cleaned_data["username"], form.cleaned_data["password"]
        user = authenticate(request, username=username, password=password)
        if isinstance(user, User) and user.is_staff_user:
            auth_login(request, user)  # a new session key; signals.py starts the session clocks
            if settings.STAFF_MFA_REQUIRED:
                events.login_succeeded_event(user=user, mfa="pending")
                return redirect(_with_next(reverse("accounts:otp_verify"), request))
            events.login_succeeded_event(user=user, mfa="not_required")
            return redirect(_next_url(request))
        reason = "wrong_credentials"
        if user is not None:
            # Applicants never sign in here. Answer exactly like a wrong password, and
            # count it towards the lockout like one.
            reason = "not_staff"
            user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
        if not getattr(request, "axes_locked_out", False):
            # When locked, the lockout response (lockout_response) writes the row.
            known = User.objects.filter(username=username).first()
            if known is not None and reason == "wrong_credentials" and not known.is_active:
                reason = "inactive"
            events.login_failed_event(username=username, user=known, reason=reason)
        form.add_error(None, _("用户名或密码错误。"))
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """django-axes calls this when a username is locked (AXES_LOCKOUT_CALLABLE)."""
    username = str((credentials or {}).get("username") or request.POST.get("username", ""))[:64]
    user = User.objects.filter(username=username).first() if username else None
    events.login_locked_event(
        username=username, user=user, failures=getattr(request, "axes_failures_since_start", None)
    )
    cooloff: timedelta = settings.AXES_COOLOFF_TIME
    minutes = int(cooloff.total_seconds() // 60)
    response = render(request, "accounts/locked.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(int(cooloff.total_seconds()))
    return response


def _second_factor_done(request: HttpRequest, user: User, device: TOTPDevice) -> None:
    django_otp.login(request, device)
    # The session now carries more privilege: give it a fresh key.
    request.session.cycle_key()
    request.session.pop(OTP_FAILURES, None)
    events.otp_verified_event(user=user)


def _second_factor_failed(request: HttpRequest, user: User, result: mfa.VerifyResult) -> HttpResponse | None:
    """Count the failure; after OTP_MAX_FAILURES in one session, sign out."""
    events.otp_failed_event(user=user, reason=result.value)
    failures = int(request.session.get(OTP_FAILURES, 0)) + 1
    request.session[OTP_FAILURES] = failures
    if failures >= OTP_MAX_FAILURES:
        request.jiaozi_logout_reason = "otp_failures"  # type: ignore[attr-defined]
        logout(request)
        messages.error(request, _("动态口令错误次数过多，请重新登录。"))
        return redirect("accounts:login")
    return None


def _token_error(result: mfa.VerifyResult) -> str:
    if result is mfa.VerifyResult.THROTTLED:
        return _("尝试过于频繁，请稍等几秒后再输入。")
    return _("动态口令错误或已使用过，请输入验证器中显示的最新口令。")


@never_cache
@sensitive_post_parameters("token")
def otp_verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not _is_staff(user):
        return redirect("accounts:login")
    if is_verified(user):
        return redirect(_next_url(request))
    device = selectors.totp_device_for(user=user)
    if not mfa.usable(device):
        return redirect(_with_next(reverse("accounts:otp_setup"), request))
    assert device is not None
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = mfa.verify(device, form.cleaned_data["token"])
        if result is mfa.VerifyResult.OK:
            _second_factor_done(request, user, device)
            return redirect(_next_url(request))
        ended = _second_factor_failed(request, user, result)
        if ended is not None:
            return ended
        form.add_error("token", _token_error(result))
    # The demo's personas have published keys: show their code, and only in DEMO_MODE.
    demo_code = mfa.next_code(device) if settings.DEMO_MODE and mfa.is_demo_device(device) else None
    return render(
        request,
        "accounts/otp_verify.html",
        {"form": form, "demo_code": demo_code, "next": request.GET.get("next", "")},
    )


@never_cache
@sensitive_post_parameters("token")
def otp_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not _is_staff(user):
        return redirect("accounts:login")
    if is_verified(user):
        return redirect(_next_url(request))
    if mfa.usable(selectors.totp_device_for(user=user)):
        return redirect(_with_next(reverse("accounts:otp_verify"), request))
    device = services.totp_enrol_start(user=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.totp_enrol_confirm(user=user, device=device, token=form.cleaned_data["token"])
        except (NotFound, Conflict):
            return redirect("accounts:otp_setup")
        if result is mfa.VerifyResult.OK:
            _second_factor_done(request, user, device)
            messages.success(request, _("动态口令绑定成功。今后登录时请输入验证器中的口令。"))
            return redirect(_next_url(request))
        ended = _second_factor_failed(request, user, result)
        if ended is not None:
            return ended
        form.add_error("token", _token_error(result))
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr_uri": mfa.qr_data_uri(device),
            "manual_key": mfa.manual_key(device),
            "issuer": settings.OTP_TOTP_ISSUER,
            "next": request.GET.get("next", ""),
        },
    )


@never_cache
def logout_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if request.method == "POST":
        logout(request)  # flushes the session; signals.py writes the audit row
        messages.success(request, _("您已安全退出。"))
        return redirect("accounts:login")
    return render(request, "accounts/logout.html")


@never_cache
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@staff_required(allow_expired_password=True)
@domain_errors
def password_change(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    forced = services.password_expired(user)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors(form, ValidationFailed, Conflict):
            changed = services.user_password_change(
                user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
            # Keep this session (new key, new auth hash), end every other one.
            update_session_auth_hash(request, changed)
            refresh_fingerprint(request, changed)
            messages.success(request, _("密码已修改。"))
            return redirect(_next_url(request))
    return render(
        request,
        "accounts/password_change.html",
        {
            "form": form,
            "forced": forced,
            "first_time": user.must_change_password,
            "rules": form.rules(),
            "max_age_days": settings.PASSWORD_MAX_AGE_DAYS,
            "next": request.GET.get("next", ""),
        },
    )


# --- staff filing ------------------------------------------------------------------


@never_cache
@staff_required(*STAFF_VIEWER_ROLES)
@domain_errors
def staff_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    institutions = selectors.institution_list_for_staff_pages(user=user)
    form = StaffFilterForm(request.GET, institutions=institutions)
    institution = None
    staff = User.objects.none()  # an invalid filter shows nothing rather than everything
    if form.is_valid():
        data = form.cleaned_data
        with form_errors(form, NotFound, fallback_field="institution"):
            if data["institution"]:
                institution = selectors.institution_get_for_staff_pages(user=user, code=data["institution"])
            staff = selectors.staff_list_visible_to(
                user=user,
                institution=institution,
                role=data["role"],
                active=form.active_value(),
                search=data["q"],
            )
    page = Paginator(staff, STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/staff_list.html",
        {
            "form": form,
            "page": page,
            "can_create": user.role in FILER_ROLES,
            "filter_institution": institution,
            "nav_active": NAV,
        },
    )


@never_cache
@sensitive_post_parameters("resident_id", "phone")
@staff_required(*FILER_ROLES)
@domain_errors
def staff_create(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    institutions = selectors.institution_list_for_staff_pages(user=user)
    initial = {"institution": request.GET.get("institution", "")}
    form = StaffCreateForm(request.POST or None, actor=user, institutions=institutions, initial=initial)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        institution = selectors.institution_get_by_code(code=data["institution"])
        if institution is None:
            form.add_error("institution", _("机构不存在。"))
        else:
            try:
                with form_errors(form, ValidationFailed):
                    created, initial_password = services.staff_create(
                        actor=user,
                        institution=institution,
                        username=data["username"],
                        real_name=data["real_name"],
                        phone=data["phone"],
                        post=data["post"],
                        role=data["role"],
                        resident_id=data["resident_id"],
                    )
                    # Shown once, in this response only; never stored in clear anywhere.
                    return render(
                        request,
                        "accounts/staff_password.html",
                        {"target": created, "password": initial_password, "created": True, "nav_active": NAV},
                    )
            except PermissionDenied as exc:
                events.access_denied_event(user=user, path=request.path, reason="file_staff")
                form.add_error(None, exc.message)
                status = 403
    return render(request, "accounts/staff_form.html", {"form": form, "nav_active": NAV}, status=status)


def _load_staff(request: HttpRequest, pk: int) -> User:
    return selectors.staff_get_visible_to(user=staff_user(request), pk=pk)


def _reconfirm_due(target: User) -> bool:
    days = getattr(settings, "STAFF_RECONFIRM_DAYS", 365)
    if not target.is_active:
        return False
    return target.confirmed_at is None or clock.now() - target.confirmed_at > timedelta(days=days)


@never_cache
@staff_required(*STAFF_VIEWER_ROLES)
@domain_errors
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    target = _load_staff(request, pk)
    device = TOTPDevice.objects.filter(user=target, confirmed=True).first()
    return render(
        request,
        "accounts/staff_detail.html",
        {
            "target": target,
            "can_manage": can_manage_staff(actor=staff_user(request), target=target),
            "reason_form": ReasonForm(),
            "reset_form": ResetPasswordForm(),
            "has_device": mfa.usable(device),
            "reconfirm_due": _reconfirm_due(target),
            "reconfirm_days": getattr(settings, "STAFF_RECONFIRM_DAYS", 365),
            "nav_active": NAV,
        },
    )


@never_cache
@sensitive_post_parameters("resident_id", "phone")
@staff_required(*FILER_ROLES)
@domain_errors
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    target = _load_staff(request, pk)
    if not can_manage_staff(actor=staff_user(request), target=target):
        return forbidden(request, reason="manage_staff")
    initial = {"real_name": target.real_name, "post": target.post, "version": target.version}
    form = StaffUpdateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with form_errors(form, ValidationFailed, Conflict):
            services.staff_update(
                actor=staff_user(request),  # type: ignore[arg-type]
                user_id=target.pk,
                real_name=data["real_name"],
                phone=data["phone"] or target.phone,
                post=data["post"],
                version=data["version"],
                resident_id=data["resident_id"],
            )
            messages.success(request, _("备案信息已更新。"))
            return redirect("accounts:staff_detail", pk=target.pk)
    return render(request, "accounts/staff_edit.html", {"form": form, "target": target, "nav_active": NAV})


def _staff_action(request: HttpRequest, pk: int, action: Any) -> HttpResponse:
    """Run a POST action of the detail page; errors come back as messages."""
    target = _load_staff(request, pk)
    try:
        response = action(target)
    except PermissionDenied:
        return forbidden(request, reason="manage_staff")
    except (ValidationFailed, Conflict) as exc:
        messages.error(request, exc.message)
        return redirect("accounts:staff_detail", pk=target.pk)
    if isinstance(response, HttpResponse):
        return response
    return redirect("accounts:staff_detail", pk=target.pk)


@never_cache
@require_POST
@staff_required(*FILER_ROLES)
@domain_errors
def staff_disable(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST)

    def action(target: User) -> None:
        if not form.is_valid():
            raise ValidationFailed(_("请填写停用原因。"))
        services.staff_disable(
            actor=staff_user(request), user_id=target.pk, reason=form.cleaned_data["reason"]
        )  # type: ignore[arg-type]
        messages.success(request, _("已停用该账号，其登录会话已立即失效。"))

    return _staff_action(request, pk, action)


@never_cache
@require_POST
@staff_required(*FILER_ROLES)
@domain_errors
def staff_enable(request: HttpRequest, pk: int) -> HttpResponse:
    def action(target: User) -> None:
        services.staff_enable(actor=staff_user(request), user_id=target.pk)  # type: ignore[arg-type]
        messages.success(request, _("已重新启用该账号。"))

    return _staff_action(request, pk, action)


@never_cache
@require_POST
@staff_required(*FILER_ROLES)
@domain_errors
def staff_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    form = VersionForm(request.POST)

    def action(target: User) -> None:
        if not form.is_valid():
            raise ValidationFailed(_("请求无效，请刷新页面后重试。"))
        services.staff_confirm(
            actor=staff_user(request), user_id=target.pk, version=form.cleaned_data["version"]
        )  # type: ignore[arg-type]
        messages.success(request, _("已确认该工作人员仍在岗。"))

    return _staff_action(request, pk, action)


@never_cache
@require_POST
@staff_required(*FILER_ROLES)
@domain_errors
def staff_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    form = ResetPasswordForm(request.POST)
    form.is_valid()

    def action(target: User) -> HttpResponse:
        updated, password = services.staff_reset_password(
            actor=staff_user(request),  # type: ignore[arg-type]
            user_id=target.pk,
            reset_otp=bool(form.cleaned_data.get("reset_otp")),
        )
        return render(
            request,
            "accounts/staff_password.html",
            {"target": updated, "password": password, "created": False, "nav_active": NAV},
        )

    return _staff_action(request, pk, action)
