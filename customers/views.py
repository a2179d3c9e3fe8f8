"""The homeowner's own data (DSGVO): download all of it, or have it erased."""

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from customers import privacy
from customers.models import Customer


class ErasureForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, erase my personal data. This cannot be undone."),
        error_messages={"required": _("Tick the box to confirm the erasure.")},
    )


@login_required(login_url="login")
@require_http_methods(["GET", "POST"])
def my_data(request):
    """Art. 15 and 20 (the export as a ZIP) and Art. 17 (erasure) on one page. What blocks an
    erasure (open orders, quotes, unpaid invoices) is named before the form is offered."""
    customer = Customer.objects.filter(user=request.user).first()
    blockers = privacy.erasure_blockers(customer) if customer else []
    form = ErasureForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and customer is not None and not blockers and form.is_valid():
        try:
            privacy.erase_customer(customer, actor=request.user)
        except privacy.ErasureBlocked as blocked:  # something opened meanwhile
            blockers = blocked.blockers
        else:
            logout(request)
            messages.success(request, _("Your personal data has been erased."))
            return redirect("home")
    context = {"customer": customer, "blockers": blockers, "form": form}
    return render(request, "customers/my_data.html", context, status=422 if form.errors else 200)
