"""Second factor (TOTP) for office staff, cooperative admins and workshop admins.

Password login stays as it is (the admin login, throttled by django-axes). After it the session is
unverified until the person types a code from their authenticator app. django-otp stores the
devices (secret, drift, last used step against replay, throttling after wrong codes) and keeps the
verifying device in the session; this module adds the setup page (scan a QR code, confirm one
code), the backup codes (ten one-time codes for a lost phone, shown once, renewable), the verify
page, and ``TwoFactorMiddleware``, which sends an unverified session of such a
person to those pages from every other page and answers its API calls with 403. Requests that
carry an API token are authenticated by the token alone, so scripts keep working.
"""

import logging
import time
from base64 import b32encode

import segno
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp import verify_token as otp_verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from zunft.core.models import User

logger = logging.getLogger(__name__)

ROLES = {User.Role.OFFICE, User.Role.COOP_ADMIN, User.Role.WORKSHOP_ADMIN}
API_PREFIX = "/api/"
# Pages an unverified session may still open: these two, logging out, the language switch.
OPEN_VIEWS = {
    "twofactor-setup",
    "twofactor-verify",
    "logout",
    "admin:logout",
    "set_language",
    "healthz",
}


def needs_second_factor(user) -> bool:
    """Office staff, cooperative and workshop admins, and anyone who may use the admin."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role in ROLES or user.is_staff or user.is_superuser


def is_verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def session_allowed(user) -> bool:
    """Whether a session user may act: no second factor needed, or it was given. The same check
    is meant for websockets that join with the session."""
    return not needs_second_factor(user) or is_verified(user)


class TwoFactorMiddleware:
    """Place after django-otp's ``OTPMiddleware``. Uses ``process_view`` so the resolved view
    name decides which pages stay open."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if session_allowed(user):
            return None
        if request.path_info.startswith(API_PREFIX):
            if request.headers.get("Authorization", "").lower().startswith("bearer "):
                # Only the token may authenticate this call, never the unverified session.
                request.user = AnonymousUser()
                return None
            return JsonResponse(
                {"detail": _("Confirm your second factor first (%s).") % reverse(_target(user))},
                status=403,
            )
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_VIEWS:
            return None
        query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
        return redirect(f"{reverse(_target(user))}?{query}")


def _target(user) -> str:
    return "twofactor-verify" if user_has_device(user) else "twofactor-setup"


def _next_url(request) -> str:
    url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return _start_page(request.user)


def _start_page(user) -> str:
    """Where a person goes without a ``next``: the office to its board, a workshop's owner to
    the field app (the admin would only tell them they may not use it)."""
    if getattr(user, "is_office", False):
        return reverse("office-board")
    if getattr(user, "role", None) == User.Role.WORKSHOP_ADMIN and not user.is_staff:
        return reverse("field:app")
    return reverse("admin:index")


def _to_codes(request):
    """The backup codes page, going on to where the person was headed."""
    query = urlencode({REDIRECT_FIELD_NAME: _next_url(request)})
    return redirect(f"{reverse('twofactor-codes')}?{query}")


def _code(request) -> str:
    code = "".join(request.POST.get("code", "").split()).lower()
    if code.isdigit():
        return code  # from the authenticator app
    # A backup code: letters a-z and digits 2-7 (base32), typed in capitals or with 0 for o
    # and 1 for l, which it never contains.
    return code.translate(str.maketrans("01", "ol"))


BACKUP_CODES = 10
FRESH_CODES = "twofactor.fresh_codes"  # the session key that shows new codes once
NEW_PHONE = "twofactor.new_phone"  # a verified session setting up a phone to replace the old
VERIFIED_AT = "twofactor.verified_at"  # when this session last gave a code (seconds)
# Changing the second factor later than this after the last code asks for a code again.
RECONFIRM_AFTER = 10 * 60


@transaction.atomic
def new_backup_codes(user) -> list[str]:
    """Ten one-time codes for when the phone is lost; earlier ones stop working. django-otp
    keeps them (each is deleted when used) and accepts them wherever a code is asked for."""
    # The device stays (a session verified by a backup code points at it); its codes change.
    device = StaticDevice.objects.filter(user=user).order_by("id").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name=_("Backup codes"), confirmed=True)
    StaticToken.objects.filter(device__user=user).delete()
    codes = [StaticToken.random_token() for _n in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def _verified(request, device) -> None:
    """Mark the session verified by ``device``, under a new session key."""
    request.session.cycle_key()
    otp_login(request, device)
    request.session[VERIFIED_AT] = time.time()
    logger.info("second factor verified for user %s", request.user.pk)


def _accepting_device(user, code: str):
    """The user's device that accepts ``code`` now (and marks it used), or None. Digits are for
    the app, letters for a backup code: trying a code on the other kind would count as a wrong
    try there and slow the next one down."""
    kind = TOTPDevice if code.isdigit() else StaticDevice
    for device in devices_for_user(user):
        if isinstance(device, kind):
            verified = otp_verify_token(user, device.persistent_id, code)
            if verified is not None:
                return verified
    return None


def _within_minutes(request, key: str) -> bool:
    """Whether the time kept in the session under ``key`` is less than RECONFIRM_AFTER ago."""
    at = request.session.get(key)
    return isinstance(at, float) and time.time() - at < RECONFIRM_AFTER


def _reconfirmed(request) -> bool:
    """Whether the session may change the second factor now: it gave a code in the last minutes,
    or gives a current one with this request. Someone at a session left open cannot take the
    second factor over (new backup codes to read, or their own phone)."""
    if _within_minutes(request, VERIFIED_AT):
        return True
    if not request.POST.get("code") or _accepting_device(request.user, _code(request)) is None:
        logger.info("second factor change: no current code from user %s", request.user.pk)
        return False
    request.session[VERIFIED_AT] = time.time()
    return True


def qr_data_uri(device: TOTPDevice) -> str:
    """The device's otpauth:// URL as an SVG QR code, inline (the CSP allows data: images)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def secret_for_typing(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@transaction.atomic
def confirm_device(device: TOTPDevice, code: str) -> bool:
    """Confirm a new device with one code from it; its other unconfirmed devices go. Locks the
    device row, so one code confirms once (django-otp also refuses a code used before)."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if device.confirmed or not device.verify_token(code):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # Its other devices go: unconfirmed tries, and the phone it replaces (only now, so a
    # setup left halfway keeps the old phone working).
    TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()
    return True


@login_required
@require_http_methods(["GET", "POST"])
def setup(request):
    """Add an authenticator: show the QR code and the secret, confirm with one code. Someone who
    has a device already must verify with it first; adding another is not offered here."""
    user = request.user
    if not needs_second_factor(user):
        return redirect("home")
    # Asked for minutes ago from a session that had just given a code (a flag left in an open
    # session is no way in for someone else later).
    replacing = is_verified(user) and _within_minutes(request, NEW_PHONE)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists() and not replacing:
        return redirect(_next_url(request) if is_verified(user) else "twofactor-verify")
    if user_has_device(user) and not is_verified(user):  # backup codes only: prove them first
        return redirect("twofactor-verify")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)
    error = ""
    if request.method == "POST":
        if confirm_device(device, _code(request)):
            device.refresh_from_db()
            request.session.pop(NEW_PHONE, None)
            _verified(request, device)
            request.session[FRESH_CODES] = new_backup_codes(user)
            return _to_codes(request)
        # After a few wrong codes django-otp waits before it checks again: a right code typed
        # at once is refused too, so say so rather than only blame the phone's clock.
        error = _(
            "That code is not right, or came too soon after a wrong one. Check the time on your "
            "phone, wait for the next code and try again."
        )
        logger.info("second factor setup: wrong code for user %s", user.pk)
    context = {
        "qr": qr_data_uri(device),
        "secret": secret_for_typing(device),
        "error": error,
        "next": _next_url(request),
    }
    return render(request, "twofactor/setup.html", context, status=200)


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """Ask for the code after the password login. Wrong codes slow further tries down
    (django-otp's throttling); a code is accepted once."""
    user = request.user
    if not needs_second_factor(user):
        return redirect("home")
    devices = list(devices_for_user(user))
    if not devices:
        return redirect(f"{reverse('twofactor-setup')}?{request.GET.urlencode()}")
    error = ""
    if request.method == "POST":
        verified = _accepting_device(user, _code(request))
        if verified is not None:
            _verified(request, verified)
            if isinstance(verified, StaticDevice):  # the phone is gone: what now
                return _to_codes(request)
            return redirect(_next_url(request))
        error = _("That code is not right, or too many tries: wait a moment and try again.")
        logger.info("second factor: wrong code for user %s", user.pk)
    context = {
        "error": error,
        "next": _next_url(request),
        "backup_error": bool(error) and not _code(request).isdigit(),
    }
    return render(request, "twofactor/verify.html", context, status=200)


@login_required
@require_http_methods(["GET", "POST"])
def backup_codes(request):
    """The backup codes: just made (after setup, or renewed here) they are shown once; after
    that only how many are left, and a button for new ones. Needs a verified session (the
    middleware sends everyone else to the code first); new codes and a new phone also need a
    code from the last minutes (:func:`_reconfirmed`)."""
    user = request.user
    if not needs_second_factor(user):
        return redirect("home")
    error = ""
    if request.method == "POST" and not _reconfirmed(request):
        error = _(
            "Please confirm with a current code from your authenticator app or an unused backup "
            "code."
        )
    elif request.method == "POST" and request.POST.get("action") == "new-phone":
        # Verified (by a backup code, typically): the new phone is set up next; the old one
        # keeps working until the new one is confirmed.
        request.session[NEW_PHONE] = time.time()
        logger.info("user %s sets up a new phone", user.pk)
        return redirect(f"{reverse('twofactor-setup')}?{request.GET.urlencode()}")
    elif request.method == "POST":
        request.session[FRESH_CODES] = new_backup_codes(user)
        logger.info("backup codes renewed for user %s", user.pk)
        return redirect(f"{reverse('twofactor-codes')}?{request.GET.urlencode()}")
    fresh = request.session.pop(FRESH_CODES, None)
    left = StaticToken.objects.filter(device__user=user).count()
    context = {
        "codes": [f"{c[:4]} {c[4:]}" for c in fresh or []],
        "left": left,
        "next": _next_url(request),
        "ask_code": not _within_minutes(request, VERIFIED_AT),
        "error": error,
    }
    return render(request, "twofactor/codes.html", context, status=422 if error else 200)


urlpatterns = [
    path("einrichten/", setup, name="twofactor-setup"),
    path("pruefen/", verify, name="twofactor-verify"),
    path("notfallcodes/", backup_codes, name="twofactor-codes"),
]
