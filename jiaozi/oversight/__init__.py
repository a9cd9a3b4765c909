"""Oversight: spot checks, revocation, the pre-close data audit, statistics and controlled exports (PRODUCT §5, §9, §10)."""
