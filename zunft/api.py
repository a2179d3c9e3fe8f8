"""The one NinjaAPI: every app contributes a router under /api/v1/."""

from ninja import NinjaAPI

from zunft.core.api import router as system_router

api = NinjaAPI(
    title="Zunft API",
    version="1",
    description="Booking and dispatch for cooperatives of craft businesses.",
    urls_namespace="api",
)
api.add_router("/v1/system/", system_router)
