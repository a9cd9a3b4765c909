"""TOTP second factor for staff (MLPS 8.1.4.1d, ASVS 6.3.3), on django-otp's TOTPDevice.

Verification is our own thin wrapper around django-otp's TOTP arithmetic so that the
"a code is used once" rule holds under concurrency too: the device's ``last_t`` advances
by compare-and-set, so two simultaneous requests with the same code cannot both pass
(django-otp's ``verify_token`` reads, compares and saves without a guard).

Demo devices (``DEMO_DEVICE_NAME``) have a key derived from the username and the
SECRET_KEY, so the demo's personas can sign in; outside DEMO_MODE they are ignored as
if absent. See docs/decisions/0011-staff-sign-in-and-totp.md.
"""

from __future__ import annotations

import base64
import enum
import hmac
import time

import segno
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "default"
DEMO_DEVICE_NAME = "demo"
# Demo devices accept a few steps ahead, so a persona can sign in several times within
# one 30-second step (each code still works only once).
DEMO_TOLERANCE = 5


class VerifyResult(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    THROTTLED = "throttled"


def demo_key(username: str) -> str:
    """Deterministic 20-byte hex key of a demo persona's device."""
    return salted_hmac("jiaozi.accounts.demo_totp", username, algorithm="sha256").digest()[:20].hex()


def is_demo_device(device: TOTPDevice) -> bool:
    return device.name == DEMO_DEVICE_NAME and hmac.compare_digest(
        device.key, demo_key(device.user.get_username())
    )


def usable(device: TOTPDevice | None) -> bool:
    """A demo device counts only in DEMO_MODE: a demo database copied into production
    must not carry second factors anyone can compute."""
    if device is None:
        return False
    return settings.DEMO_MODE or device.name != DEMO_DEVICE_NAME


def _totp(device: TOTPDevice) -> TOTP:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return totp


def verify(device: TOTPDevice, token: str) -> VerifyResult:
    """Check ``token`` against ``device`` and spend it."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return VerifyResult.THROTTLED
    token = (token or "").strip().replace(" ", "")
    if not token.isdigit() or len(token) != device.digits:
        _throttle(device)
        return VerifyResult.WRONG
    totp = _totp(device)
    if totp.verify(int(token), device.tolerance, device.last_t + 1):
        # Drift sync helps phones with a skewed clock; demo devices keep drift 0 so the
        # code the demo shows stays predictable.
        drift = device.drift if device.name == DEMO_DEVICE_NAME else totp.drift
        spent = TOTPDevice.objects.filter(pk=device.pk, last_t=device.last_t).update(
            last_t=totp.t(),
            drift=drift,
            throttling_failure_count=0,
            throttling_failure_timestamp=None,
            last_used_at=timezone.now(),
        )
        if spent == 1:
            device.last_t = totp.t()
            return VerifyResult.OK
    _throttle(device)
    return VerifyResult.WRONG


def _throttle(device: TOTPDevice) -> None:
    """Count a failure with an UPDATE of the throttle columns only. django-otp's
    ``throttle_increment`` saves the whole (possibly stale) row, which would write an old
    ``last_t`` back over a concurrent success and make its code usable again."""
    now = timezone.now()
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=F("throttling_failure_count") + 1, throttling_failure_timestamp=now
    )
    device.throttling_failure_count += 1
    device.throttling_failure_timestamp = now


def next_code(device: TOTPDevice) -> str:
    """The code that the device would accept next: the current step's, or a later one
    when the current one was already used. For demo devices only."""
    totp = _totp(device)
    now_t = totp.t()
    target = max(now_t, device.last_t + 1)
    totp.drift = device.drift + (target - now_t)
    return f"{totp.token():0{device.digits}d}"


def manual_key(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an authenticator app."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI as a QR code, an SVG data URI (CSP allows ``img-src data:``;
    nothing leaves the server)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)
