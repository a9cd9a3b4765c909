"""The booking's QR code, drawn by the app (``segno``): it carries the check-in code only
(docs/decisions/0217)."""

from __future__ import annotations

import io

import segno


def qr_svg(code: str, *, scale: int = 6) -> bytes:
    out = io.BytesIO()
    segno.make(code, error="m", micro=False).save(out, kind="svg", scale=scale, border=2, xmldecl=True)
    return out.getvalue()


def qr_png(code: str, *, scale: int = 8) -> bytes:
    out = io.BytesIO()
    segno.make(code, error="m", micro=False).save(out, kind="png", scale=scale, border=2)
    return out.getvalue()
