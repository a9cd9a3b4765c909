from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return HttpResponse("账号已锁定，请30分钟后再试。", status=429)
