"""Passwordless login for homeowners: a six-digit code by email (and a magic link carrying it).

Codes are stored hashed, expire after ``LOGIN_CODE_MINUTES`` and are burnt after five wrong
tries; asking again replaces the old code.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from zunft.core.models import LoginCode, User

MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 5


def homeowner_for_email(
    email: str, *, first_name: str = "", last_name: str = ""
) -> tuple[User, bool]:
    """The homeowner account for an email address, created on first contact: ``(user,
    created)``. The address of a staff or member account is refused (``ValidationError`` on
    ``email``): requests would file a customer record and mail codes to a work account."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        if user.role != User.Role.HOMEOWNER:
            raise ValidationError(
                {"email": _("This address belongs to a staff account; please use your own.")}
            )
        return user, False
    user = User.objects.create_user(
        username=email[:150],
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=User.Role.HOMEOWNER,
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user, True


@transaction.atomic
def send_login_code(user: User, *, next_url: str = "/") -> bool:
    """Mail a fresh code, replacing earlier unused ones. At most ``MAX_CODES_PER_HOUR`` codes an
    hour per person, so nobody can flood a homeowner's mailbox; returns whether one was sent.
    Locks the user row so parallel requests count correctly."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    hour_ago = timezone.now() - timedelta(hours=1)
    if LoginCode.objects.filter(user=user, created_at__gte=hour_ago).count() >= MAX_CODES_PER_HOUR:
        return False
    code = f"{secrets.randbelow(10**6):06d}"
    # Superseded codes are burnt (kept for the hourly count), never deleted.
    LoginCode.objects.filter(user=user, used_at__isnull=True).update(attempts=MAX_ATTEMPTS)
    LoginCode.objects.create(
        user=user,
        code_hash=make_password(code),
        expires_at=timezone.now() + timedelta(minutes=settings.LOGIN_CODE_MINUTES),
    )
    query = urlencode({"email": user.email, "code": code, "next": next_url})
    link = f"{settings.SITE_URL}{reverse('login')}?{query}"
    send_mail(
        _("Your Zunft login code: %s") % code,
        _(
            "Your code: %(code)s\n\nOr open this link on this device:\n%(link)s\n\n"
            "The code is valid for %(minutes)s minutes. "
            "If you did not ask for it, ignore this mail."
        )
        % {"code": code, "link": link, "minutes": settings.LOGIN_CODE_MINUTES},
        None,
        [user.email],
    )
    return True


@transaction.atomic
def check_login_code(email: str, code: str) -> User | None:
    """The user when ``code`` is their current, unexpired code; counts wrong tries."""
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        return None
    login_code = (
        LoginCode.objects.select_for_update()
        .filter(user=user, used_at__isnull=True, expires_at__gt=timezone.now())
        .order_by("-id")
        .first()
    )
    if login_code is None or login_code.attempts >= MAX_ATTEMPTS:
        return None
    if not check_password(code.strip(), login_code.code_hash):
        login_code.attempts += 1
        login_code.save(update_fields=["attempts"])
        return None
    login_code.used_at = timezone.now()
    login_code.save(update_fields=["used_at"])
    return user
