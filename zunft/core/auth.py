"""Authentication for API endpoints.

``optional_auth`` (None) leaves the endpoint open; Django's middleware still sets
``request.user``, so selectors can show more to those who are logged in. ``required_auth`` is a
bearer API token (scoped, revocable) or the browser session (with CSRF protection for writes).
"""

import hashlib
import secrets

from django.utils import timezone
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
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


optional_auth = None
required_auth = [TokenAuth(), django_auth]
