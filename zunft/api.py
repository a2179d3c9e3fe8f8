"""The one NinjaAPI: every app contributes a router under /api/v1/."""

from ninja import NinjaAPI

from customers.api import router as customers_router
from customers.privacy_api import router as privacy_router
from invoicing.api import router as invoicing_router
from jobs.api import router as jobs_router
from scheduling.api import router as scheduling_router
from scheduling.board_api import router as board_router
from scheduling.field_api import router as field_router
from scheduling.messages_api import router as messages_router
from trades.api import router as trades_router
from zunft.core.api import router as system_router
from zunft.core.errors import install_error_handlers

REFUSED = {
    "description": "Input refused; each error names its field in `loc`.",
    "content": {"application/json": {"schema": {"type": "object", "required": ["detail"]}}},
}
BAD_REQUEST = {
    "description": "Malformed request (e.g. NUL characters, which the database cannot store).",
    "content": {"application/json": {"schema": {"type": "object", "required": ["detail"]}}},
}
UNAUTHENTICATED = {
    "description": "No valid session or API token.",
    "content": {"application/json": {"schema": {"type": "object", "required": ["detail"]}}},
}
FORBIDDEN = {
    "description": "Refused: not allowed to you, or a session without its CSRF token on a write, "
    "or staff whose second factor is not confirmed in this session.",
    "content": {"application/json": {"schema": {"type": "object", "required": ["detail"]}}},
}


class ZunftAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """ninja answers bad input with 422 and missing credentials with 401 by itself, the NUL
        guard answers 400, and a session is refused with 403 (CSRF, second factor), but the
        schema does not say so; declare them on every operation where they can happen."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                responses.setdefault(422, REFUSED)
                responses.setdefault(400, BAD_REQUEST)
                if operation.get("security"):
                    responses.setdefault(401, UNAUTHENTICATED)
                if any("SessionAuth" in scheme for scheme in operation.get("security", [])):
                    responses.setdefault(403, FORBIDDEN)
        return schema


api = ZunftAPI(
    title="Zunft API",
    version="1",
    description="Booking and dispatch for cooperatives of craft businesses. Authenticate with "
    "the browser session or a personal API token (`Authorization: Bearer …`).",
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/v1/system/", system_router)
api.add_router("/v1/", trades_router)
api.add_router("/v1/", customers_router)
api.add_router("/v1/", jobs_router)
api.add_router("/v1/", scheduling_router)
api.add_router("/v1/", invoicing_router)
api.add_router("/v1/field/", field_router)
api.add_router("/v1/", board_router)
api.add_router("/v1/", messages_router)
api.add_router("/v1/", privacy_router)
