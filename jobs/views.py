"""The public portal: catalogue, request wizard, quote. Thin: forms and services do the work."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jobs import services
from jobs.api import changes_of, remember_quote, visible_quote
from jobs.forms import RequestForm
from jobs.models import Quote
from jobs.quotes import price_ranges
from jobs.selectors import templates_visible_to
from zunft.core.errors import Conflict
from zunft.core.money import format_quantity


def catalogue(request):
    templates = list(templates_visible_to(request.user))
    ranges = price_ranges(templates)
    for template in templates:
        template.price_low, template.price_high = ranges[template.pk]
        template.trades = sorted({t.trade.name for t in template.tasks.all()})
    return render(request, "jobs/catalogue.html", {"templates": templates})


def wizard(request, code: str):
    template = get_object_or_404(templates_visible_to(request.user), code=code)
    form = RequestForm(request.POST or None, template=template, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.request_quote(
                user=request.user,
                contact={k: data[k] for k in ("first_name", "last_name", "email", "phone")},
                privacy_consent=data["privacy_consent"],
                template=template,
                values=form.parameter_values(),
                site={k: data[k] for k in ("street", "postal_code", "city", "access_notes")},
                earliest_start=data["earliest_start"],
                blocked_days=data["blocked_days"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            quote = created.package.quotes.order_by("-version").first()
            remember_quote(request, quote)
            request.session["contact_email"] = data["email"]
            return redirect("jobs:quote", quote_id=quote.pk)
    return render(request, "jobs/wizard.html", {"template": template, "form": form})


def quote_page(request, quote_id: int):
    quote = visible_quote(request, quote_id)
    lines = list(quote.lines.all())
    trades = {}
    for line in lines:
        trades.setdefault(line.trade or _("Cooperative"), []).append(line)
    latest = quote.package.quotes.order_by("-version").first()
    customer_user = quote.package.customer.user
    context = {
        "quote": quote,
        "trades": trades,
        "latest": latest,
        "vat_rate": format_quantity(lines[0].vat_rate) if lines else "",
        "changes": changes_of(quote) if quote.version > 1 else None,
        "is_owner": request.user.is_authenticated and customer_user == request.user,
        "needs_consent": services.needs_early_start_consent(quote, timezone.localdate()),
        "login_url": reverse("login")
        + "?"
        + urlencode({"next": request.path, "email": customer_user.email if customer_user else ""}),
    }
    return render(request, "jobs/quote.html", context)


@require_POST
def accept_quote(request, quote_id: int):
    if not request.user.is_authenticated:
        return redirect(reverse("login") + "?" + urlencode({"next": request.path}))
    try:
        quote = services.accept_quote(
            quote_id,
            version=int(request.POST.get("version", 0)),
            user=request.user,
            early_start_consent=request.POST.get("early_start_consent") == "on",
        )
    except Quote.DoesNotExist as exc:
        raise Http404 from exc
    except (Conflict, ValidationError) as error:
        text = str(error) if isinstance(error, Conflict) else " ".join(error.messages)
        messages.error(request, text)
        return redirect("jobs:quote", quote_id=quote_id)
    messages.success(request, _("Thank you! Your order is confirmed; the work is being planned."))
    return redirect("package", package_id=quote.package_id)
