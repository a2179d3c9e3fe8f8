"""The one NinjaAPI: every app contributes a router under /api/v1/."""

from ninja import NinjaAPI

from customers.api import router as customers_router
from jobs.api import router as jobs_router
from scheduling.api import router as scheduling_router
from trades.api import router as trades_router
from zunft.core.api import router as system_router
from zunft.core.errors import install_error_handlers

api = NinjaAPI(
    title="Zunft API",
    version="1",
    description="Booking and dispatch for cooperatives of craft businesses.",
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/v1/system/", system_router)
api.add_router("/v1/", trades_router)
api.add_router("/v1/", customers_router)
api.add_router("/v1/", jobs_router)
api.add_router("/v1/", scheduling_router)
