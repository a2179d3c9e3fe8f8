import logging
import re
import time
import uuid

from django.conf import settings
from django.http import JsonResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_vary_headers

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


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's, except outside ``i18n_patterns`` (API, field app, feeds): there a page's script
    names its page's language in ``X-Language``, else the language cookie or the browser decides.
    Django gives every unprefixed path the default language when the default has no prefix, so an
    English user's field app and live page updates came in German; and the cookie alone put
    German labels on ``/en/`` pages whose scripts load data from the API."""

    def process_request(self, request):
        super().process_request(request)
        if _outside_language_patterns(request.path_info, getattr(request, "urlconf", None)):
            translation.activate(
                _page_language(request)
                or translation.get_language_from_request(request, check_path=False)
            )
            request.LANGUAGE_CODE = translation.get_language()
            request.language_negotiated = True  # header, cookie or browser: caches must know

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if getattr(request, "language_negotiated", False):
            patch_vary_headers(response, ("X-Language", "Cookie", "Accept-Language"))
        return response


def _page_language(request) -> str | None:
    # Not Accept-Language: the browser sends its own with every call, so a script's choice
    # could not be told from it.
    try:
        return translation.get_supported_language_variant(
            request.headers.get("X-Language", "").lower()
        )
    except LookupError:
        return None


def _outside_language_patterns(path: str, urlconf) -> bool:
    if translation.get_language_from_path(path):
        return False
    other = next(code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE)
    try:
        with translation.override(other):  # the prefix pattern follows the active language
            resolve(f"/{other}{path}", urlconf)
    except Resolver404:
        return True
    return False
