"""Supplements to a running order: the office writes one, the homeowner decides on her order
page (``jobs.supplements`` holds the rules)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jobs import supplements
from jobs.forms import SupplementForm, SupplementTaskFormSet
from jobs.models import Package, Supplement, Task
from jobs.quotes import line_text_for_reader
from trades.models import Certification, Trade
from zunft.core.auth import office_page
from zunft.core.errors import Conflict


def _order_url(package_id: int) -> str:
    return reverse("package", args=[package_id]) + "#nachtraege"


def supplements_for_page(package: Package) -> list[dict]:
    """The package's supplements as its page shows them to the homeowner and the office, each
    line in the reader's language where the project wrote it (the work's name is the office's
    own words)."""
    rows = []
    for supplement in package.supplements.prefetch_related("lines", "tasks__trade").order_by(
        "-number"
    ):
        names = {piece.name: piece.name for piece in supplement.tasks.all()}
        lines = [
            {"line": line, "text": line_text_for_reader(line.text, names) or line.text}
            for line in supplement.lines.all()
        ]
        rows.append({"supplement": supplement, "lines": lines})
    return rows


@office_page
def new_supplement(request, package_id: int):
    """The office's supplement to a running order: the reason, the pieces of work, where each
    goes in the order of work; sent, the homeowner is told and decides on her order page."""
    package = get_object_or_404(Package.objects.select_related("customer", "site"), pk=package_id)
    trades = sorted(
        ((t.code, t.name) for t in Trade.objects.only("code", "name_de", "name_en")),
        key=lambda choice: choice[1].lower(),
    )
    tasks = [
        (t.pk, f"{t.name} ({t.get_status_display()})")
        for t in package.tasks.exclude(status=Task.Status.CANCELLED).order_by("position", "id")
    ]
    data = request.POST if request.method == "POST" else None
    form = SupplementForm(data)
    certifications = [(c.code, c.name) for c in Certification.objects.all()]
    pieces = SupplementTaskFormSet(
        data,
        prefix="tasks",
        form_kwargs={"trades": trades, "certifications": certifications, "tasks": tasks},
    )
    closed = supplements.supplementable(package)
    status = 409 if closed and data is not None else 200
    if data is not None and not closed:
        status = 422
        # The rows' places are checked by the service even while the reason is missing, so that
        # every error comes in one round; the form's rules are a part of the service's, so the
        # service writes nothing while the form is refused.
        if pieces.is_valid():
            form_valid = form.is_valid()
            try:
                supplement = supplements.propose_supplement(
                    package,
                    reason=form.cleaned_data.get("reason", ""),
                    tasks=pieces.tasks(),
                    by=request.user,
                )
            except Conflict as error:
                closed, status = str(error), 409
            except ValidationError as error:
                rest = pieces.take_service_errors(error)
                if rest is not None and form_valid:
                    form.add_service_errors(rest)
            else:
                messages.success(
                    request,
                    _("Supplement %(number)s has been sent to the homeowner.")
                    % {"number": supplement.number},
                )
                return redirect(_order_url(package.pk))
        else:
            form.is_valid()
    context = {"package": package, "form": form, "pieces": pieces, "closed": closed}
    return render(request, "jobs/new_supplement.html", context, status=status)


@login_required(login_url="login")
@require_POST
def decide_supplement(request, package_id: int, supplement_id: int, decision: str):
    """The homeowner's yes or no from her order page (the script-free path; the API does the
    same). Only hers: anybody else's is not found."""
    consent = bool(request.POST.get("early_start_consent"))
    decide = {
        "accept": lambda pk, user: supplements.accept_supplement(
            pk, user=user, early_start_consent=consent
        ),
        "decline": supplements.decline_supplement,
    }[decision]
    if not Supplement.objects.filter(pk=supplement_id, package_id=package_id).exists():
        raise Http404
    try:
        supplement = decide(supplement_id, user=request.user)
    except Supplement.DoesNotExist as exc:
        raise Http404 from exc
    except (Conflict, ValidationError) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text)
    else:
        if supplement.status == Supplement.Status.ACCEPTED:
            messages.success(
                request,
                _(
                    "You accepted supplement %(number)s. Its work is being planned; the "
                    "confirmation is on its way to you by e-mail."
                )
                % {"number": supplement.number},
            )
        else:
            messages.success(
                request,
                _("You declined supplement %(number)s. The office has been told.")
                % {"number": supplement.number},
            )
    return redirect(_order_url(package_id))


@office_page
@require_POST
def retract_supplement(request, supplement_id: int):
    supplement = get_object_or_404(Supplement, pk=supplement_id)
    try:
        supplements.retract_supplement(supplement, by=request.user)
    except Conflict as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Supplement %(number)s has been taken back.") % {"number": supplement.number},
        )
    return redirect(_order_url(supplement.package_id))
