import logging
import re
import time
import uuid

from django.http import JsonResponse

from zunft.core.logging import request_id_var

logger = logging.getLogger("zunft.request")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives each request an id (a proxy's X-Request-ID when sane), logs one line per request and
    returns the id in the response so a user's report can be found in the logs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        # Not reset afterwards: Django logs failed responses after the middleware returns, and
        # each request sets its own id first anyway.
        request_id_var.set(request_id)
        request.request_id = request_id
        started = time.monotonic()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.monotonic() - started) * 1000, 1),
            },
        )
        return response


class RejectNulMiddleware:
    """PostgreSQL cannot store NUL characters in text; refuse them at the door with a 400 instead
    of failing deep inside a query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        body_is_json = request.content_type == "application/json"
        if (
            "\x00" in request.path
            or "%00" in query
            or any("\x00" in key or "\x00" in value for key, value in request.GET.items())
            or (body_is_json and b"\\u0000" in request.body)
        ):
            return JsonResponse({"detail": "NUL characters are not allowed."}, status=400)
        return self.get_response(request)
