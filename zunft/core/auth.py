"""Authentication for API endpoints.

``optional_auth`` (None) leaves the endpoint open; Django's middleware still sets
``request.user``, so selectors can show more to those who are logged in. ``required_auth`` is a
bearer API token (scoped, revocable) or the browser session (with CSRF protection for writes).
"""

import hashlib
import secrets
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth

from zunft.core.models import ApiToken

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_token(user, name: str, scope: str = ApiToken.Scope.READ, expires_at=None):
    """Create a token; returns ``(token, secret)``. The secret is not stored and shown once."""
    secret = "zft_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        scope=scope,
        prefix=secret[4:12],
        key_hash=hash_key(secret),
        expires_at=expires_at,
    )
    return token, secret


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        now = timezone.now()
        found = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_key(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if found is None or (found.expires_at and found.expires_at <= now):
            return None
        if found.scope == ApiToken.Scope.READ and request.method not in SAFE_METHODS:
            # Said as it is: falling through to the session check answered "CSRF check failed".
            raise HttpError(
                403, _("This token may only read: writing needs a token with the scope “write”.")
            )
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


optional_auth = None
required_auth = [TokenAuth(), django_auth]


def office_page(view):
    """A page for office staff and cooperative admins (the API's office rule). A logged-out
    visitor goes to the staff login (password, then the second factor); anyone else logged in
    is refused: 403 on a list, 404 on a page of one thing, whether it exists or not, so an id
    tells nothing."""

    @login_required  # settings.LOGIN_URL: the staff login
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_office:
            raise Http404 if kwargs else PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def homeowner_link(view):
    """A page of one thing that links in emails lead to (a quote, its PDF). A logged-out
    visitor who may not see it, typically the homeowner on another device, goes to the
    homeowner's code login and comes back; whether the thing exists tells nobody anything, as
    every id is answered the same way. Logged in, it stays "not found"."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Http404:
            if request.user.is_authenticated:
                raise
            return redirect_to_login(request.get_full_path(), "login")

    return wrapped
