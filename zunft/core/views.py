from django.shortcuts import render


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
    return render(request, "login.html", {"email": email, "step": step, "next": next_url})
