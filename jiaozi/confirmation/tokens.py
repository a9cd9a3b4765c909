"""The check-in code of a booking: a random part stored on the booking and an HMAC of
it, in an alphabet people can read aloud and type (Crockford's base32: no I, L, O, U),
grouped by four: ``7K3M-Q9TA-ZC2D-H8WX-4FRN``.

The random part is 60 bits; the HMAC (40 bits, keyed by the site's secret) lets a typo
or a forged code be refused before any lookup. The QR code carries only this code,
never the staff entrance's address (docs/decisions/0217)."""

from __future__ import annotations

import hmac
import secrets

from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from jiaozi.core.errors import ValidationFailed

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
NONCE_CHARS = 12
MAC_CHARS = 8
SALT = "jiaozi.confirmation.booking-code"
# Letters people type for the digits they resemble.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _encode(data: bytes, chars: int) -> str:
    number = int.from_bytes(data, "big")
    out = []
    for _i in range(chars):
        number, digit = divmod(number, 32)
        out.append(ALPHABET[digit])
    return "".join(reversed(out))


def nonce_new() -> str:
    return "".join(secrets.choice(ALPHABET) for _i in range(NONCE_CHARS))


def _mac(nonce: str) -> str:
    return _encode(salted_hmac(SALT, nonce, algorithm="sha256").digest()[:5], MAC_CHARS)


def code_of(nonce: str) -> str:
    """The code shown to the applicant and drawn in the QR code."""
    raw = nonce + _mac(nonce)
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum()).translate(_READ_AS)


def nonce_of(code: str) -> str:
    """The booking's random part, after checking the code's HMAC; a malformed or forged
    code is ``ValidationFailed`` (``invalid_code``) and nothing is looked up."""
    raw = normalise(code)
    if len(raw) != NONCE_CHARS + MAC_CHARS or any(ch not in ALPHABET for ch in raw):
        raise ValidationFailed.on_field(
            "code", _("签到码格式不正确，应为20位字母和数字。"), code="invalid_code"
        )
    nonce, mac = raw[:NONCE_CHARS], raw[NONCE_CHARS:]
    if not hmac.compare_digest(mac, _mac(nonce)):
        raise ValidationFailed.on_field("code", _("签到码无效，请核对后重新输入。"), code="invalid_code")
    return nonce
