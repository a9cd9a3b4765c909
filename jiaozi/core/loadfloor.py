"""The load test's floor (issue 13 item 5, docs/decisions/0276): a bare Django view that
does one INSERT and answers, served by the same app servers, through the same
middleware, in the same run as the deadline-day profile — what the framework, the proxy
and PostgreSQL cost without the application's own work. Mounted only when
``LOAD_FLOOR_VIEW`` is on (``make cluster`` sets it); its table ``load_floor`` is made by
``seed_load`` on the scratch database, never by a migration."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt  # no session, no form: a client of the load test, nothing to forge
@require_POST
def floor(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO load_floor (at) VALUES (%s)", [timezone.now()])
    return HttpResponse("ok", content_type="text/plain")
