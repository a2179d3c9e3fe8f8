from urllib.parse import urlsplit

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.i18n import set_language as django_set_language


def home(request):
    return render(request, "home.html")


def login_with_code(request):
    """Passwordless login: enter the email, receive a code, enter the code."""
    from django.contrib import messages
    from django.contrib.auth import login
    from django.shortcuts import redirect
    from django.urls import reverse
    from django.utils.http import url_has_allowed_host_and_scheme
    from django.utils.translation import gettext as _

    from zunft.core.login import check_login_code, send_login_code
    from zunft.core.models import User

    # Homeowners log in here; without a destination they land on their orders.
    mine = reverse("jobs:my-orders")
    next_url = request.POST.get("next") or request.GET.get("next") or mine
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = mine
    email = (request.POST.get("email") or request.GET.get("email") or "").strip()
    code = (request.POST.get("code") or request.GET.get("code") or "").strip()
    # "I already have a code": asking for another would burn the one in the mailbox
    step = "code" if email and request.GET.get("step") == "code" else "email"
    if email and code:
        user = check_login_code(email, code)
        if user is not None:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(next_url)
        messages.error(request, _("The code is wrong or has expired."))
        step = "code"
    elif email and request.method == "POST":
        user = User.objects.filter(email__iexact=email, role=User.Role.HOMEOWNER).first()
        if user is not None:
            send_login_code(user, next_url=next_url)
        messages.info(
            request, _("If we know this address, a code is on its way. Look in your mail.")
        )
        step = "code"
    return render(
        request,
        "login.html",
        {
            "email": email,
            "step": step,
            "next": next_url,
            "code_minutes": settings.LOGIN_CODE_MINUTES,
        },
    )


def set_language(request):
    """Django's language switch, with the page to return to translated from its own language.

    The switch lives outside ``i18n_patterns``, so the cookie or the browser decides the active
    language there, and Django resolves ``next`` in that language: an ``/en/`` page does not
    resolve in German (nor an unprefixed page in English), so the user came back to the same
    page in the old language. Django's checks against redirects to other hosts stay as they are.
    """
    with translation.override(_language_of_return_page(request)):
        return django_set_language(request)


def _language_of_return_page(request) -> str:
    # The same choice Django makes: ``next`` if it is safe, else the referring page.
    for url in (request.POST.get("next", request.GET.get("next")), request.headers.get("Referer")):
        if url and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            path = urlsplit(url).path
            return translation.get_language_from_path(path) or settings.LANGUAGE_CODE
    return settings.LANGUAGE_CODE


def csrf_failure(request, reason=""):
    """A form refused for its CSRF token (sent after logging in again elsewhere, or from a page
    left open too long), in the site's layout and language, with the way back."""
    return render(request, "403_csrf.html", status=403)


def not_found(request, exception=None):
    """404: the API answers in JSON, as its own errors do; pages get the site's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not Found"}, status=404)
    return render(request, "404.html", status=404)


def favicon(request):
    """Browsers ask for /favicon.ico whatever a page links: the app's icon."""
    return redirect(static("zunft/field/icon-192.png"))
