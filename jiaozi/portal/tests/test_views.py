"""Public pages, robots.txt, the health check, error pages, security headers."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.db import DatabaseError
from django.test import Client, RequestFactory
from django.urls import reverse

from jiaozi.core import health
from jiaozi.orgs.models import Institution
from jiaozi.orgs.tests.factories import HEFEI, LUYANG, WUHU, bureau
from jiaozi.portal import views

PUBLIC_PAGES = [
    "portal:home",
    "portal:announcements",
    "portal:directory",
    "portal:notices",
    "certificates:verify",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_page_is_open_to_anonymous_and_never_names_the_staff_prefix(client: Client, name: str) -> None:
    response = client.get(reverse(name))

    assert response.status_code == 200
    body = response.content.decode()
    assert "教师资格" in body
    assert settings.STAFF_URL_PREFIX not in body


@pytest.mark.django_db
def test_public_page_refuses_post(client: Client) -> None:
    assert client.post(reverse("portal:home")).status_code == 405


@pytest.mark.django_db
def test_robots_allows_public_pages_and_hides_the_staff_prefix(client: Client) -> None:
    response = client.get("/robots.txt")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert "Allow: /$" in lines
    assert f"Allow: {reverse('portal:directory')}" in lines
    assert lines[-1] == "Disallow: /"
    assert settings.STAFF_URL_PREFIX not in response.content.decode()
    assert "admin" not in response.content.decode()


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_answers(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert json.loads(response.content) == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "broker": "inline",  # the test settings run tasks inline
        "storage": "ok",
    }
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_fails(client: Client) -> None:
    with mock.patch.object(health.connection, "cursor", side_effect=DatabaseError("down")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert json.loads(response.content)["status"] == "error"


@pytest.mark.django_db
def test_directory_shows_published_contact_details(client: Client) -> None:
    luyang = bureau(LUYANG)
    luyang.address = "合肥市庐阳区濉溪路1号"
    luyang.phone = "0551-65661234"
    luyang.office_hours = "工作日 8:30-17:30"
    luyang.save()

    response = client.get(reverse("portal:directory"), {"city": HEFEI})

    body = response.content.decode()
    assert response.status_code == 200
    assert "合肥市庐阳区濉溪路1号" in body
    assert "0551-65661234" in body
    assert "工作日 8:30-17:30" in body


@pytest.mark.django_db
def test_directory_filters_by_city_and_leaves_out_schools(client: Client) -> None:
    wuhu = bureau(WUHU)
    luyang = bureau(LUYANG)
    Institution.objects.create(
        code="3401030001",
        name="合肥市第一中学",
        kind=Institution.Kind.SCHOOL,
        level=luyang.level,
        division=luyang.division,
        parent=luyang,
        ownership="public",
        stage="senior",
    )

    page = client.get(reverse("portal:directory"), {"city": HEFEI}).context["page_obj"]
    names = [institution.name for institution in page.paginator.object_list]

    assert luyang.name in names
    assert wuhu.name not in names
    assert "合肥市第一中学" not in names


@pytest.mark.django_db
def test_directory_ignores_an_unknown_city(client: Client) -> None:
    response = client.get(reverse("portal:directory"), {"city": "999999"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["page_obj"].paginator.count > 0


@pytest.mark.django_db
def test_unknown_page_is_a_chinese_404_without_traceback(client: Client) -> None:
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    body = response.content.decode()
    assert "页面不存在" in body
    assert "Traceback" not in body


def test_server_error_page_needs_no_database() -> None:
    # No django_db mark: any query here would raise.
    response = views.server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "系统繁忙" in response.content.decode()
    assert "Traceback" not in response.content.decode()


@pytest.mark.django_db
def test_security_headers_on_public_pages(client: Client) -> None:
    response = client.get(reverse("portal:home"))

    csp = response["Content-Security-Policy"]
    assert "object-src 'none'" in csp
    assert "base-uri 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_pages_carry_no_inline_script_or_style(client: Client) -> None:
    body = client.get(reverse("portal:home")).content.decode()

    assert "<script>" not in body
    assert 'style="' not in body
    assert "<style" not in body
    assert '"includeIndicatorStyles":false' in body


@pytest.mark.django_db
def test_language_switch_serves_english_and_back(client: Client) -> None:
    response = client.post(reverse("set_language"), {"language": "en", "next": "/directory/"})
    assert response.status_code == 302
    assert response["Location"] == "/directory/"

    english = client.get(reverse("portal:home")).content.decode()
    assert "Teacher Qualification Management Information System" in english
    assert '<html lang="en">' in english

    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    chinese = client.get(reverse("portal:home")).content.decode()
    assert "教师资格管理信息系统" in chinese
    assert '<html lang="zh-CN">' in chinese


@pytest.mark.django_db
def test_language_switch_refuses_a_foreign_next(client: Client) -> None:
    response = client.post(reverse("set_language"), {"language": "en", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def _admin_url() -> str:
    return f"/{settings.STAFF_URL_PREFIX}/admin/"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["", "login/", "accounts/user/"])
def test_admin_answers_404_to_the_anonymous_public(client: Client, path: str) -> None:
    assert client.get(_admin_url() + path).status_code == 404


@pytest.mark.django_db
def test_admin_answers_404_to_staff_who_are_not_superusers(client: Client, **_: Any) -> None:
    from jiaozi.accounts.roles import Role
    from jiaozi.accounts.testing import sign_in
    from jiaozi.accounts.tests.factories import make_staff

    admin = make_staff(role=Role.PROVINCE_ADMIN, institution=bureau("340000"), is_staff=True)
    sign_in(client, admin)

    assert client.get(_admin_url()).status_code == 404


@pytest.mark.django_db
def test_admin_opens_for_a_verified_superuser_only(client: Client) -> None:
    from jiaozi.accounts.models import User
    from jiaozi.accounts.testing import sign_in

    root = User.objects.create_superuser(
        "root", "Str0ng!Passw0rd", real_name="系统管理员", institution=bureau("340000")
    )

    sign_in(client, root, verified=False)
    assert client.get(_admin_url()).status_code in {302, 404}  # the session policy may ask for the code first

    sign_in(client, root)
    assert client.get(_admin_url()).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["admin/css/base.css", "admin/js/core.js", "admin/img/icon-yes.svg"])
def test_the_admin_static_files_are_not_public(client: Client, path: str) -> None:
    assert client.get(f"/static/{path}").status_code == 404
    # Public static files are still where they were.
    assert client.get("/static/bootstrap/css/bootstrap.min.css").status_code == 200


@pytest.mark.django_db
def test_the_admin_static_files_live_under_the_staff_prefix(client: Client) -> None:
    from django.templatetags.static import static

    from jiaozi.accounts.models import User
    from jiaozi.accounts.testing import sign_in

    staff_css = f"/{settings.STAFF_URL_PREFIX}/static/admin/css/base.css"
    assert static("admin/css/base.css") == staff_css
    assert client.get(staff_css).status_code == 200

    root = User.objects.create_superuser(
        "root", "Str0ng!Passw0rd", real_name="系统管理员", institution=bureau("340000")
    )
    sign_in(client, root)
    page = client.get(_admin_url())
    assert page.status_code == 200
    body = page.content.decode()
    assert staff_css in body
    assert "/static/admin/" not in body.replace(f"/{settings.STAFF_URL_PREFIX}/static/admin/", "")


@pytest.mark.django_db
def test_the_admin_static_files_are_not_public_in_autorefresh_mode(client: Client) -> None:
    from django.test import override_settings

    with override_settings(WHITENOISE_AUTOREFRESH=True):
        fresh = Client()
        assert fresh.get("/static/admin/css/base.css").status_code == 404
        assert fresh.get(f"/{settings.STAFF_URL_PREFIX}/static/admin/css/base.css").status_code == 200


@pytest.mark.django_db
def test_the_admin_static_files_are_not_public_with_the_production_storage(tmp_path: Any) -> None:
    """The production way: collectstatic with hashed names, WhiteNoise serving STATIC_ROOT."""
    from django.core.management import call_command
    from django.templatetags.static import static
    from django.test import override_settings

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "jiaozi.core.staticfiles.StaffAdminManifestStaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, STATIC_ROOT=str(tmp_path), WHITENOISE_USE_FINDERS=False):
        # Django resets the static storage itself when STORAGES or STATIC_ROOT change.
        call_command("collectstatic", "--noinput", verbosity=0)
        staff_css = static("admin/css/base.css")
        assert staff_css.startswith(f"/{settings.STAFF_URL_PREFIX}/static/admin/css/base.")
        public_css = "/static/" + staff_css.split("/static/", 1)[1]
        fresh = Client()
        assert fresh.get(public_css).status_code == 404
        assert fresh.get("/static/admin/css/base.css").status_code == 404
        served = fresh.get(staff_css)
        assert served.status_code == 200
        assert "immutable" in served["Cache-Control"]
        # Public files are served, hashed, as before.
        assert fresh.get(static("bootstrap/css/bootstrap.min.css")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_runserver_does_not_serve_the_admin_static_files_either(debug: bool) -> None:
    """``make run`` serves through runserver's own handler; with DEBUG, staticfiles'
    runserver would answer /static/… from the finders, bypassing the middleware."""
    from wsgiref.util import setup_testing_defaults

    from django.core.management import get_commands, load_command_class
    from django.test import override_settings

    def status(handler: Any, path: str) -> str:
        environ: dict[str, Any] = {"PATH_INFO": path, "HTTP_HOST": "127.0.0.1"}
        setup_testing_defaults(environ)
        environ["SERVER_NAME"] = "127.0.0.1"
        seen: list[str] = []
        body = handler(environ, lambda s, h, *a: seen.append(s))
        b"".join(body)
        getattr(body, "close", lambda: None)()
        return seen[0].split()[0]

    with override_settings(DEBUG=debug):
        command = load_command_class(get_commands()["runserver"], "runserver")
        options = vars(command.create_parser("manage.py", "runserver").parse_args([]))  # `make run`
        handler = command.get_handler(**options)  # type: ignore[attr-defined]
        assert status(handler, "/static/admin/css/base.css") == "404"
        assert status(handler, f"/{settings.STAFF_URL_PREFIX}/static/admin/css/base.css") == "200"
