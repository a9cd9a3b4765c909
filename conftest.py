"""Project-wide test configuration: the shared fixtures live in ``jiaozi.testing``."""

from __future__ import annotations

import os

# Playwright's sync API runs an event loop; Django refuses sync ORM calls under one
# unless told it is safe (the browser and the ORM run in different threads).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = ["jiaozi.testing.fixtures"]
