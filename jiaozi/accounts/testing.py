"""Test helpers for every app: sign a staff user in on Django's test client the way the
sign-in pages would (session policy started, second factor verified).

    from jiaozi.accounts.testing import sign_in
    sign_in(client, user)
    client.get(reverse("teachers:teacher_list"))
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from .mfa import DEVICE_NAME

if TYPE_CHECKING:
    from .models import User


def sign_in(client: Client, user: User | None, *, verified: bool = True) -> Client:
    """``force_login`` plus, with ``verified``, a confirmed TOTP device marked as passed
    in the session (SessionPolicyMiddleware lets no unverified staff through)."""
    assert user is not None
    client.force_login(user)
    if verified:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The device's code now (or ``steps_ahead`` steps later), as an authenticator app
    would show it."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift + steps_ahead)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"
