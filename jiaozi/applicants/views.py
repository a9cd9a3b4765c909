"""The applicant area (/me/): sign-up, sign-in, home, the teacher link, the
application pages, materials, the inbox and the applicant's own data.

Views parse input, call one service or selector and render. Domain errors become
messages or form errors; ``NotFound`` becomes the 404 page, whatever the reason (another
applicant's application looks exactly like a missing one)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from jiaozi.accounts import events
from jiaozi.accounts.forms import PasswordChangeForm
from jiaozi.accounts.middleware import refresh_fingerprint
from jiaozi.accounts.models import User
from jiaozi.accounts.services import password_expired, user_password_change
from jiaozi.core.boundary import domain_errors, form_errors
from jiaozi.core.crypto import blind_index
from jiaozi.core.errors import (
    Conflict,
    PermissionDenied,
    ValidationFailed,
    WindowClosed,
)
from jiaozi.core.middleware import client_ip
from jiaozi.core.ratelimit import RateLimited, ratelimit
from jiaozi.notifications.selectors import notification_count_unread, notification_list_for
from jiaozi.notifications.services import notification_mark_all_read, notification_mark_read
from jiaozi.registration.applications import materials as material_services
from jiaozi.registration.applications.selectors import application_get_for_applicant, application_timeline
from jiaozi.registration.applications.services import EDITABLE_FIELDS, application_update_draft
from jiaozi.registration.applications.services import application_start as registration_application_start
from jiaozi.registration.campaigns.windows import format_window, window_is_open
from jiaozi.registration.completion.services import application_form_pdf
from jiaozi.registration.models import Application, ApplicationStep, Material
from jiaozi.registration.review_request import review_request, review_request_deadline
from jiaozi.registration.transitions import actions_for, application_transition
from jiaozi.registration.workflow import Status

from . import selectors, services
from .decorators import applicant_required, is_applicant, not_for_staff
from .forms import (
    ActionForm,
    ApplicationForm,
    LinkForm,
    LoginForm,
    MaterialForm,
    ResetConfirmForm,
    ResetRequestForm,
    ReviewRequestForm,
    SignupForm,
)

# Per client address: sign-in tries a minute, sign-ups an hour. The per-account lock
# (django-axes, 5 failures → 30 minutes) applies on top of the first.
LOGIN_IP_LIMIT = 30
SIGNUP_IP_LIMIT = 10
# Per applicant: certificate-number tries an hour, uploads an hour.
LINK_USER_LIMIT = 10
UPLOAD_USER_LIMIT = 60
INBOX_PAGE_SIZE = 20
SUBMIT_ACTIONS = ("submit", "resubmit")
# The §4 materials a teacher uploads; the application form itself is produced by the
# system at completion (the notice: the authority fills in the conclusion and stamps it).
CHECKLIST_KINDS = frozenset(
    {
        Material.Kind.CERTIFICATE,
        Material.Kind.CONTRACT,
        Material.Kind.ETHICS_STATEMENT,
        Material.Kind.APPRAISALS,
        Material.Kind.TRAINING,
    }
)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # applicant_required ran first
    return user


def _too_many(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    response = render(request, "applicants/too_many.html", {"retry_after": exc.retry_after}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def _home_or_next(request: HttpRequest) -> str:
    """A ``next`` inside the applicant area (never the sign-in or sign-up pages, never
    elsewhere on the site), else home."""
    home = reverse("applicants:home")
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if (
        candidate.startswith(home)
        and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()})
        and not candidate.startswith((reverse("applicants:login"), reverse("applicants:signup")))
    ):
        return candidate
    return home


# --- Sign-up, sign-in, sign-out -----------------------------------------------------


@never_cache
@sensitive_post_parameters("password1", "password2", "resident_id", "phone")
def signup(request: HttpRequest) -> HttpResponse:
    if is_applicant(request.user):
        return redirect("applicants:home")
    if request.user.is_authenticated:
        return not_for_staff(request)
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        try:
            ratelimit(f"applicant-signup:ip:{client_ip(request)}", limit=SIGNUP_IP_LIMIT, window=3600)
        except RateLimited as exc:
            return _too_many(request, exc)
        if form.is_valid():
            data = form.cleaned_data
            with form_errors(form, ValidationFailed, Conflict):
                user = services.applicant_signup(
                    real_name=data["real_name"],
                    resident_id=data["resident_id"],
                    phone=data["phone"],
                    password=data["password1"],
                    consent=data["consent"],
                )
                auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                events.login_succeeded_event(user=user, mfa="not_required")
                messages.success(
                    request,
                    _("注册成功。您的用户名是 %(username)s，今后可以用身份证号、手机号或此用户名登录。")
                    % {"username": user.username},
                )
                return redirect("applicants:home")
    return render(request, "applicants/signup.html", {"form": form, "rules": form.rules()})


def _sign_in_key(identifier: str, account: User | None) -> str:
    """The name the lockout counts failures under: the account's username whichever
    identifier was typed, so five tries are five whether by ID, phone or username; for
    no account, a keyed hash of what was typed (never the ID or phone in clear). The
    "?" keeps it from ever equalling a real username."""
    if account is not None:
        return account.username
    digest = blind_index(identifier.strip().upper(), context="applicant-sign-in")
    return "?" + hashlib.sha256(digest.encode()).hexdigest()[:20]


def _locked(request: HttpRequest) -> HttpResponse:
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = int(cooloff.total_seconds() // 60)
    response = render(request, "applicants/locked.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(int(cooloff.total_seconds()))
    return response


@never_cache
@sensitive_post_parameters("password", "username")
def login_view(request: HttpRequest) -> HttpResponse:
    if is_applicant(request.user):
        return redirect(_home_or_next(request))
    form = LoginForm(request.POST or None)
    if request.method == "POST":
        try:
            ratelimit(f"applicant-login:ip:{client_ip(request)}", limit=LOGIN_IP_LIMIT, window=60)
        except RateLimited as exc:
            return _too_many(request, exc)
        if form.is_valid():
            identifier, password = form.cleaned_data["username"], form.cleaned_data["password"]
            account = selectors.applicant_for_sign_in(identifier=identifier)
            key = _sign_in_key(identifier, account)
            user = authenticate(request, username=key, password=password)
            if getattr(request, "axes_locked_out", False):
                # Our own lockout page: the shared one links to the staff entrance,
                # which no public page may do. Clearing the flag keeps the axes
                # middleware from replacing this response.
                request.axes_locked_out = False  # type: ignore[attr-defined]
                events.login_locked_event(
                    username=key, user=account, failures=getattr(request, "axes_failures_since_start", None)
                )
                return _locked(request)
            if user is not None and is_applicant(user):
                auth_login(request, user)  # a new session key; accounts.signals starts the clocks
                events.login_succeeded_event(user=user, mfa="not_required")  # type: ignore[arg-type]
                if password_expired(user):  # type: ignore[arg-type]
                    messages.warning(request, _("您的密码已超过有效期，请先设置新密码。"))
                    return redirect("applicants:password_change")
                return redirect(_home_or_next(request))
            reason = "wrong_credentials"
            if account is not None and not account.is_active:
                reason = "inactive"
            events.login_failed_event(username=key, user=account, reason=reason)
            form.add_error(None, _("账号或密码错误。"))
    return render(request, "applicants/login.html", {"form": form, "next": request.GET.get("next", "")})


@never_cache
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if is_applicant(request.user):
            logout(request)  # accounts.signals writes the audit row
            messages.success(request, _("您已安全退出。"))
        return redirect("applicants:login")
    if not is_applicant(request.user):
        return redirect("applicants:login")
    return render(request, "applicants/logout.html")


RESET_SESSION = "jz_applicant_reset"
RESET_TRIES = "jz_applicant_reset_tries"
RESET_IP_LIMIT = 10
RESET_ID_LIMIT = 3


@never_cache
@sensitive_post_parameters("resident_id", "phone")
def password_reset(request: HttpRequest) -> HttpResponse:
    """找回密码, step 1: resident ID and phone; a code goes by SMS when both match an
    account. The next page looks the same whether they did or not."""
    if request.user.is_authenticated:
        return redirect("applicants:home" if is_applicant(request.user) else "portal:home")
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit(f"applicant-reset:ip:{client_ip(request)}", limit=RESET_IP_LIMIT, window=3600)
            # Per ID as well, so nobody floods one teacher's phone from many addresses.
            typed = form.cleaned_data["resident_id"].strip().upper()
            ratelimit(
                f"applicant-reset:id:{blind_index(typed, context='reset')}", limit=RESET_ID_LIMIT, window=3600
            )
        except RateLimited as exc:
            return _too_many(request, exc)
        challenge = services.password_reset_request(
            resident_id=form.cleaned_data["resident_id"], phone=form.cleaned_data["phone"]
        )
        request.session[RESET_SESSION] = challenge.as_session()
        request.session[RESET_TRIES] = 0
        return redirect("applicants:password_reset_confirm")
    return render(request, "applicants/password_reset.html", {"form": form})


@never_cache
@sensitive_post_parameters("code", "new_password1", "new_password2")
def password_reset_confirm(request: HttpRequest) -> HttpResponse:
    """找回密码, step 2: the SMS code and the new password."""
    if request.user.is_authenticated:
        return redirect("applicants:home" if is_applicant(request.user) else "portal:home")
    challenge = services.ResetChallenge.from_session(request.session.get(RESET_SESSION))
    if challenge is None:
        return redirect("applicants:password_reset")
    form = ResetConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tries = int(request.session.get(RESET_TRIES, 0)) + 1
        request.session[RESET_TRIES] = tries
        if tries > services.RESET_MAX_TRIES:
            request.session.pop(RESET_SESSION, None)
            messages.error(request, _("验证码输入错误次数过多，请重新获取验证码。"))
            return redirect("applicants:password_reset")
        with form_errors(form, ValidationFailed, Conflict):
            services.password_reset_confirm(
                challenge=challenge,
                code=form.cleaned_data["code"],
                new_password=form.cleaned_data["new_password1"],
            )
            request.session.pop(RESET_SESSION, None)
            request.session.pop(RESET_TRIES, None)
            messages.success(request, _("密码已重新设置，请用新密码登录。"))
            return redirect("applicants:login")
    return render(
        request,
        "applicants/password_reset_confirm.html",
        {"form": form, "rules": form.rules(), "demo_code": challenge.demo_code},
    )


def privacy(request: HttpRequest) -> HttpResponse:
    """The personal-information notice (个人信息处理规则) agreed to at sign-up."""
    return render(request, "applicants/privacy.html", {"version": services.PRIVACY_NOTICE_VERSION})


# --- Home, the teacher link, own data ----------------------------------------------------


@applicant_required
@domain_errors
def home(request: HttpRequest) -> HttpResponse:
    overview = selectors.applicant_overview(user=_user(request))
    return render(request, "applicants/home.html", {"o": overview, "nav": "home"})


@applicant_required
@domain_errors
@sensitive_post_parameters("number")
def link(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if selectors.applicant_link(user=user) is not None:
        return redirect("applicants:home")
    form = LinkForm(request.POST or None)
    if request.method == "POST":
        try:
            ratelimit(f"applicant-link:user:{user.pk}", limit=LINK_USER_LIMIT, window=3600)
        except RateLimited as exc:
            return _too_many(request, exc)
        if form.is_valid():
            with form_errors(form, ValidationFailed, Conflict):
                services.teacher_link(user=user, certificate_number=form.cleaned_data["number"])
                messages.success(request, _("已确认您的教师档案，可以查看注册情况并办理申请。"))
                return redirect("applicants:home")
    return render(
        request,
        "applicants/link.html",
        {"form": form, "nav": "home"},
    )


@applicant_required
@domain_errors
def profile(request: HttpRequest) -> HttpResponse:
    context = selectors.applicant_profile(user=_user(request))
    context["nav"] = "profile"
    return render(request, "applicants/profile.html", context)


@applicant_required
@domain_errors
def profile_export(request: HttpRequest) -> HttpResponse:
    """The applicant's own data as a JSON file (PIPL art. 45: a copy of one's data)."""
    data = services.applicant_data_export(user=_user(request))
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="my-data.json"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@applicant_required(allow_expired_password=True)
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
def password_change(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    forced = password_expired(user)
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with form_errors(form, ValidationFailed, Conflict, fallback_field="new_password1"):
            changed = user_password_change(
                user=user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
            # Keep this session (new auth hash), end every other one.
            update_session_auth_hash(request, changed)
            refresh_fingerprint(request, changed)
            messages.success(request, _("密码已修改。"))
            return redirect("applicants:home")
    return render(
        request,
        "applicants/password_change.html",
        {
            "form": form,
            "forced": forced,
            "rules": form.rules(),
            "max_age_days": settings.PASSWORD_MAX_AGE_DAYS,
            "nav": "profile",
        },
    )


# --- Inbox ---------------------------------------------------------------------------------


@applicant_required
@domain_errors
def inbox(request: HttpRequest) -> HttpResponse:
    from django.core.paginator import Paginator

    user = _user(request)
    unread_only = request.GET.get("show") == "unread"
    page = Paginator(notification_list_for(user=user, unread_only=unread_only), INBOX_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "applicants/inbox.html",
        {
            "page_obj": page,
            "unread_only": unread_only,
            "unread_count": notification_count_unread(user=user),
            "nav": "inbox",
        },
    )


@applicant_required
@domain_errors
@require_POST
def inbox_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = notification_mark_read(user=_user(request), pk=pk)
    if (
        request.POST.get("open")
        and notification.link
        and url_has_allowed_host_and_scheme(notification.link, allowed_hosts=None)
        and notification.link.startswith("/")
    ):
        return redirect(notification.link)
    return redirect("applicants:inbox")


@applicant_required
@domain_errors
@require_POST
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    notification_mark_all_read(user=_user(request))
    return redirect("applicants:inbox")


# --- Applications --------------------------------------------------------------------------


def _application(request: HttpRequest, pk: int) -> Application:
    return application_get_for_applicant(user=_user(request), pk=pk)


@applicant_required
@domain_errors
def application_start(request: HttpRequest) -> HttpResponse:
    """GET shows what the application will be filled with (from the records); POST
    creates the draft (or returns the active one) and opens it for editing."""
    user = _user(request)
    raw = request.POST.get("certificate") if request.method == "POST" else request.GET.get("certificate")
    overview = selectors.applicant_overview(user=user)
    if not overview.linked:
        messages.info(request, _("请先确认您的教师档案。"))
        return redirect("applicants:link")
    status = next((c for c in overview.certificates if str(c.certificate.pk) == str(raw or "")), None)
    if status is None:
        raise Http404
    if status.application is not None:
        return redirect("applicants:application_detail", pk=status.application.pk)
    if request.method == "POST":
        try:
            application = registration_application_start(applicant=user, certificate_id=status.certificate.pk)
        except (WindowClosed, ValidationFailed, Conflict, PermissionDenied) as exc:
            messages.error(request, exc.message)
            return redirect("applicants:home")
        messages.success(request, _("申请已创建。请核对申请信息、上传材料，然后提交。"))
        return redirect("applicants:application_edit", pk=application.pk)
    return render(
        request,
        "applicants/application_start.html",
        {"o": overview, "item": status, "teacher": overview.teacher, "nav": "home"},
    )


def _last_return(application: Application) -> ApplicationStep | None:
    """The step that returned the application to the applicant, while it is returned."""
    if application.status != Status.RETURNED:
        return None
    return (
        ApplicationStep.objects.select_related("institution")
        .filter(application=application, to_status=Status.RETURNED)
        .order_by("-at", "-pk")
        .first()
    )


# The step-1 form's id: the upload's fields and button join it (HTML ``form=``), so an
# upload carries what was typed in step 1.
APPLICATION_FORM_ID = "jz-application-form"


def _edit_context(application: Application, **extra: Any) -> dict[str, Any]:
    opens_at, closes_at = application.campaign.window("apply")
    existing = material_services.material_list_for(application=application)
    present = {m.kind for m in existing}
    checklist = [
        {"kind": kind, "label": label, "done": kind in present}
        for kind, label in Material.Kind.choices
        if kind in CHECKLIST_KINDS
    ]
    return {
        "application": application,
        "materials": existing,
        "checklist": checklist,
        "missing": [item for item in checklist if not item["done"]],
        "max_files": material_services.max_files(),
        "returned_step": _last_return(application),
        "apply_open": window_is_open(campaign=application.campaign, action="apply"),
        "apply_window": format_window(opens_at, closes_at),
        "nav": "home",
        "application_form_id": APPLICATION_FORM_ID,
        **extra,
    }


def _application_initial(application: Application) -> dict[str, Any]:
    return {
        "phone": application.phone,
        "post": application.post,
        "address": application.address,
        "work_history": application.work_history,
        "notes": application.notes,
        "version": application.version,
    }


@applicant_required
@domain_errors
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    if application.status not in material_services.EDITABLE:
        messages.info(request, _("申请已提交，当前不能修改。"))
        return redirect("applicants:application_detail", pk=application.pk)
    form = ApplicationForm(request.POST or None, initial=_application_initial(application))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        with form_errors(form, ValidationFailed, Conflict, WindowClosed):
            application_update_draft(
                applicant=_user(request), application_id=application.pk, version=version, **data
            )
            messages.success(request, _("申请信息已保存。"))
            return redirect(f"{reverse('applicants:application_edit', args=[application.pk])}#materials")
    return render(
        request,
        "applicants/application_edit.html",
        _edit_context(
            application,
            form=form,
            material_form=MaterialForm(form_id=APPLICATION_FORM_ID),
            action_form=ActionForm(),
        ),
    )


@applicant_required
@domain_errors
@require_POST
def material_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload one material. The upload button belongs to the step-1 form (the page's
    ``form=`` attributes), so what the teacher typed in step 1 arrives with the file and
    is saved first: an upload never throws typed text away (docs/decisions/0263)."""
    user = _user(request)
    application = _application(request, pk)
    form = MaterialForm(request.POST, request.FILES, form_id=APPLICATION_FORM_ID)
    draft_form: ApplicationForm | None = None
    saved_draft = False
    if application.status in material_services.EDITABLE and any(
        name in request.POST for name in EDITABLE_FIELDS
    ):
        draft_form = ApplicationForm(request.POST, initial=_application_initial(application))
        if not draft_form.is_valid():
            messages.error(request, _("第1步的申请信息有误，文件未上传。请更正后再上传。"))
            return render(
                request,
                "applicants/application_edit.html",
                _edit_context(application, form=draft_form, material_form=form, action_form=ActionForm()),
            )
        data = dict(draft_form.cleaned_data)
        version = data.pop("version")
        with form_errors(draft_form, ValidationFailed, Conflict, WindowClosed) as caught:
            before = application.version
            application = application_update_draft(
                applicant=user, application_id=application.pk, version=version, **data
            )
            saved_draft = application.version != before
        if caught.caught is not None:
            messages.error(request, _("第1步的申请信息未能保存，文件未上传。"))
            return render(
                request,
                "applicants/application_edit.html",
                _edit_context(application, form=draft_form, material_form=form, action_form=ActionForm()),
            )
    if form.is_valid():
        try:
            ratelimit(f"applicant-upload:user:{user.pk}", limit=UPLOAD_USER_LIMIT, window=3600)
        except RateLimited as exc:
            return _too_many(request, exc)
        with form_errors(form, ValidationFailed, Conflict):
            material = material_services.material_upload(
                applicant=user,
                application_id=application.pk,
                kind=form.cleaned_data["kind"],
                file=form.cleaned_data["file"],
            )
            messages.success(
                request,
                _("已上传“%(name)s”（%(kind)s）。")
                % {"name": material.original_name, "kind": material.get_kind_display()},
            )
            if saved_draft:
                messages.success(request, _("第1步填写的申请信息已一并保存。"))
            return redirect(f"{reverse('applicants:application_edit', args=[application.pk])}#materials")
    if application.status not in material_services.EDITABLE:
        messages.error(request, _("申请已提交，当前不能修改材料。"))
        return redirect("applicants:application_detail", pk=application.pk)
    if saved_draft:
        messages.success(request, _("第1步填写的申请信息已保存；文件未上传，请按提示更正。"))
    return render(
        request,
        "applicants/application_edit.html",
        _edit_context(
            application,
            form=ApplicationForm(initial=_application_initial(application)),
            material_form=form,
            action_form=ActionForm(),
        ),
    )


@applicant_required
@domain_errors
@require_POST
def material_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    material = Material.objects.filter(pk=pk, application__applicant=user).only("application_id").first()
    if material is None:
        raise Http404
    try:
        material_services.material_delete(applicant=user, material_id=pk)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("applicants:application_detail", pk=material.application_id)
    messages.success(request, _("已删除该材料。"))
    return redirect(f"{reverse('applicants:application_edit', args=[material.application_id])}#materials")


@applicant_required
@domain_errors
def material_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    try:
        material = material_services.material_get_for_download(user=_user(request), pk=pk)
        return material_services.material_response(material)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("applicants:home")


@applicant_required
@domain_errors
@require_POST
def application_act(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit, resubmit or withdraw. Outside the apply window the service raises
    WindowClosed with the window's dates; that message is what the applicant sees.

    The transition reads the application once, narrowly, and answers "not found" for
    anyone else's; the page is read again only to choose where an error goes
    (docs/decisions/0271)."""
    form = ActionForm(request.POST)
    if not form.is_valid():
        _application(request, pk)  # someone else's application: not found, as before
        messages.error(request, _("请求无效，请刷新页面后重试。"))
        return redirect("applicants:application_detail", pk=pk)
    action = form.cleaned_data["action"]
    try:
        application_transition(
            actor=_user(request),
            application_id=pk,
            action=action,
            version=form.cleaned_data["version"],
            full=False,
        )
    except Conflict as exc:
        if exc.code == "stale_version":
            messages.error(request, _("申请状态已发生变化，请查看最新情况后再操作。"))
        else:
            messages.error(request, exc.message)
        return redirect("applicants:application_detail", pk=pk)
    except (WindowClosed, ValidationFailed, PermissionDenied) as exc:
        messages.error(request, exc.message)
        if action in SUBMIT_ACTIONS and _application(request, pk).status in material_services.EDITABLE:
            return redirect("applicants:application_edit", pk=pk)
        return redirect("applicants:application_detail", pk=pk)
    if action == "withdraw":
        messages.success(request, _("申请已撤回。如需办理，可在申请时间内重新申请。"))
    else:
        messages.success(request, _("申请已提交，等待学校审查。审查结果会通过站内消息和短信通知您。"))
    return redirect("applicants:application_detail", pk=pk)


def _detail_context(
    user: User, application: Application, *, review_form: ReviewRequestForm | None = None
) -> dict[str, Any]:
    actions = actions_for(user=user, application=application)
    return {
        "application": application,
        "timeline": application_timeline(application=application),
        "actions": actions,
        "materials": material_services.material_list_for(application=application),
        "returned_step": _last_return(application),
        "review_form": review_form or ReviewRequestForm(initial={"version": application.version}),
        "review_until": review_request_deadline(application) if "request_review" in actions else None,
        "nav": "home",
    }


@applicant_required
@domain_errors
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _application(request, pk)
    return render(request, "applicants/application_detail.html", _detail_context(_user(request), application))


@applicant_required
@domain_errors
@require_POST
def application_review_request(request: HttpRequest, pk: int) -> HttpResponse:
    """申请复核 (§5): the reasons and a file of evidence, one request; a refusal (outside
    the period, a stale page) is told on the page and changes nothing."""
    user = _user(request)
    application = _application(request, pk)
    form = ReviewRequestForm(request.POST, request.FILES)
    if form.is_valid():
        evidence = form.cleaned_data.get("evidence")
        if evidence is not None:
            try:
                ratelimit(f"applicant-upload:user:{user.pk}", limit=UPLOAD_USER_LIMIT, window=3600)
            except RateLimited as exc:
                return _too_many(request, exc)
        try:
            with form_errors(form, ValidationFailed, fallback_field="evidence"):
                review_request(
                    applicant=user,
                    application_id=application.pk,
                    version=form.cleaned_data["version"],
                    reason=form.cleaned_data["reason"].strip(),
                    evidence=evidence,
                )
                messages.success(
                    request, _("已提交复核申请。复核机关作出决定后，会通过站内消息和短信通知您。")
                )
                return redirect("applicants:application_detail", pk=application.pk)
        except Conflict as exc:
            if exc.code == "stale_version":
                messages.error(request, _("申请状态已发生变化，请查看最新情况后再操作。"))
            else:
                messages.error(request, exc.message)
            return redirect("applicants:application_detail", pk=application.pk)
        except (WindowClosed, PermissionDenied) as exc:
            messages.error(request, exc.message)
            return redirect("applicants:application_detail", pk=application.pk)
    return render(
        request,
        "applicants/application_detail.html",
        _detail_context(user, application, review_form=form),
        status=400,
    )


@applicant_required
@domain_errors
def form_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        document = application_form_pdf(user=_user(request), application_id=pk)
    except Conflict as exc:
        messages.error(request, exc.message)
        return redirect("applicants:application_detail", pk=pk)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="registration-form-{int(pk)}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
