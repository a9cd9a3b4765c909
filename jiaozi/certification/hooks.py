"""What certification contributes to the shared registries, installed from
``CertificationConfig.ready()``: its navigation entries and dashboard cards."""

from __future__ import annotations


def register() -> None:
    return None
