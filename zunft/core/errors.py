"""One shape for every refused input: 422 ``{"detail": [{"loc": [...], "msg": ...}]}`` like
django-ninja's own validation errors, with the offending field in ``loc``."""

from django.core.exceptions import ValidationError
from django.http import Http404


class Conflict(Exception):
    """The request clashes with the current state (someone else was faster, a newer version
    exists): HTTP 409 with the reason."""


def install_error_handlers(api) -> None:
    @api.exception_handler(Conflict)
    def conflict(request, exc: Conflict):
        return api.create_response(request, {"detail": str(exc)}, status=409)

    @api.exception_handler(ValidationError)
    def validation_error(request, exc: ValidationError):
        if hasattr(exc, "error_dict"):
            detail = [
                {"loc": ["body", *field.split(".")] if field != "__all__" else ["body"], "msg": msg}
                for field, messages in exc.message_dict.items()
                for msg in messages
            ]
        else:
            detail = [{"loc": ["body"], "msg": msg} for msg in exc.messages]
        return api.create_response(request, {"detail": detail}, status=422)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, {"detail": "Not Found"}, status=404)
