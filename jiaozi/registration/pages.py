"""What the staff pages of registration share."""

from __future__ import annotations

from django.http import HttpRequest

from jiaozi.accounts.models import User


class StaffRequest(HttpRequest):
    """A request that passed ``staff_required``: its ``user`` is a signed-in staff
    ``User``, never ``AnonymousUser``. Annotating the view's request with it types
    every ``request.user`` handed to a selector or service."""

    user: User
