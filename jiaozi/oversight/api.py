"""The oversight operations of /api/v1/, mounted in ``config/api.py``."""

from ninja import Router

router = Router(tags=["oversight"])
