"""Authentication for API endpoints.

``optional_auth`` (None) leaves the endpoint open; Django's middleware still sets
``request.user``, so selectors can show more to those who are logged in. ``required_auth`` is
the session (with CSRF protection for writes)."""

from ninja.security import django_auth

optional_auth = None
required_auth = django_auth
