"""The registration API: one router per feature, gathered here and mounted once in
``config/api.py``. Each feature keeps its operations and schemas in its own ``api.py``;
operations that share a path (for example GET and POST ``/registration/applications``)
stay in one router, since each router adds its own URL patterns. See
docs/decisions/0151-registration-api-per-feature.md."""

from ninja import Router

from .applications import router as applications_router
from .campaigns import router as campaigns_router
from .deadlines import router as deadlines_router
from .notices import router as notices_router
from .precheck import router as precheck_router
from .review import router as review_router

router = Router()
for feature_router in (
    campaigns_router,
    deadlines_router,
    precheck_router,
    applications_router,
    review_router,
    notices_router,
):
    router.add_router("", feature_router)
