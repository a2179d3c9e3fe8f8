"""Invoicing pages: the quote and acceptance PDFs for customers, a member's settlements, and the
shared office's pages (invoice list and detail with issue, cancel and payment, the month-end run
with live progress, the dunning list and the bank statements).

The office pages follow the API's rule: only office staff and cooperative admins
(:func:`trades.selectors.is_office`); anyone else logged in gets 403, anonymous visitors the login.
Every change goes through one service call in its own transaction (:mod:`invoicing.services`,
:mod:`invoicing.payments`, :mod:`invoicing.settlement`), so bad input writes nothing; the page
shows the service's message at the field it names and answers 422.
"""

from datetime import date, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    Max,
    Prefetch,
    Q,
    Sum,
    Value,
    When,
    prefetch_related_objects,
)
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from invoicing import delivery, dunning, exports, payments, services, settlement
from invoicing.api import MAX_STATEMENT_BYTES, transfer_file_response
from invoicing.forms import (
    AssignForm,
    BaseRateForm,
    CancelForm,
    DealtWithForm,
    ExportForm,
    InvoiceFilterForm,
    IssueForm,
    MonthEndForm,
    PackageInvoiceForm,
    PaymentForm,
    PayoutForm,
    RefundForm,
    RefundTransferForm,
    StatementForm,
    TransferBookedForm,
    TransferReturnedForm,
)
from invoicing.models import (
    BankStatementImport,
    BankTransaction,
    BaseRate,
    Dunning,
    DunningNotice,
    Invoice,
    InvoiceLine,
    InvoiceMail,
    Payment,
    RefundTransfer,
    Settlement,
    SettlementRun,
)
from invoicing.quote_pdf import render_quote, render_supplement
from invoicing.selectors import invoices_visible_to, settlements_visible_to
from jobs.api import visible_quote
from jobs.models import Package
from trades.models import Workshop
from trades.selectors import administered_workshop_ids, is_office
from zunft.core.auth import homeowner_link, office_page
from zunft.core.errors import Conflict
from zunft.core.language import format_day
from zunft.core.money import ZERO, format_money

PAGE_SIZE = 25
MONTH_END = "invoicing.month_end"


@homeowner_link
def quote_pdf(request, quote_id: int):
    """The quote as a PDF, for whoever may see the quote."""
    filename, mimetype, content = render_quote(visible_quote(request, quote_id))
    response = HttpResponse(content, content_type=mimetype)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@homeowner_link
def supplement_pdf(request, package_id: int, supplement_id: int):
    """A supplement as a PDF, for the package's homeowner and the office (it has prices)."""
    from jobs.models import Supplement

    supplement = get_object_or_404(
        Supplement.objects.select_related("package__customer", "package__site"),
        pk=supplement_id,
        package_id=package_id,
    )
    user = request.user
    if not (is_office(user) or supplement.package.customer.user_id == user.pk):
        raise Http404
    filename, mimetype, content = render_supplement(supplement)
    response = HttpResponse(content, content_type=mimetype)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def acceptance_pdf(request, package_id: int, acceptance_id: int):
    """The Abnahmeprotokoll, as it was signed, for whoever may follow the package."""
    from invoicing.protocol_pdf import protocol_filename, signed_protocol
    from jobs.models import Acceptance
    from zunft.core.realtime import may_join

    if not may_join(request.user, f"package.{package_id}"):
        raise Http404
    acceptance = get_object_or_404(
        Acceptance.objects.select_related("package__site", "package__customer"),
        pk=acceptance_id,
        package_id=package_id,
    )
    if acceptance.protocol:
        with acceptance.protocol.open("rb") as stored:
            content = stored.read()
    else:  # signed before protocols were stored: as of now
        content = signed_protocol(acceptance)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{protocol_filename(acceptance)}"'
    return response


# --- a member workshop's own page ----------------------------------------------------------------


@login_required(login_url=reverse_lazy("field:login"))
def member_settlements(request):
    """A member's monthly settlements: what the cooperative credited (the Gutschrift, with the
    customer invoices it pays for), its fee, the payout, and the documents. The workshop's
    admins see their own workshops' (the API's rule), the office all of them."""
    qs = (
        settlements_visible_to(request.user)
        .annotate(
            transferred_on=Max(
                "credit_note__payments__booked_on",
                filter=Q(credit_note__payments__source=Payment.Source.TRANSFER),
            )
        )
        .order_by("-run__period", "workshop__name", "pk")
    )
    workshops = administered_workshop_ids(request.user)
    if not is_office(request.user) and not workshops:
        raise PermissionDenied
    today = timezone.localdate()
    scope = None if is_office(request.user) else workshops  # the same rule as the settlements
    page = Paginator(qs, 12).get_page(request.GET.get("seite"))
    cancelled = settlement.settled_then_cancelled(
        today, {item.workshop_id for item in page} if scope is None else scope
    )
    rows = []
    for item in page:
        statement = item.statement or {}
        rows.append(
            {
                "settlement": item,
                "credit_gross": format_money(item.credit_note.gross_total),
                "fee_gross": (
                    format_money(item.fee_invoice.gross_total) if item.fee_invoice else None
                ),
                "payout": format_money(item.payout),
                # A line per invoice and VAT rate: counted as invoices (not the shares taken
                # back, which are lines against a cancellation).
                "invoices": len(
                    {
                        line["invoice"]
                        for line in statement.get("items", [])
                        if not line.get("reclaims")
                    }
                ),
                "items": [
                    {
                        **line,
                        "net": format_money(line["net"]),
                        "paid_on": _iso_date(line, "paid_on"),
                        "cancelled_on": _iso_date(line, "cancelled_on"),
                        # a share paid out of an invoice cancelled since: taken back when
                        "cancelled_since": (
                            None
                            if line.get("reclaims")
                            else cancelled.get((item.workshop_id, line["invoice"]))
                        ),
                    }
                    for line in statement.get("items", [])
                ],
            }
        )
    several = len(workshops) > 1 or is_office(request.user)
    coming = settlement.coming_shares(today, scope)
    return render(
        request,
        "invoicing/member/settlements.html",
        {
            "page": page,
            "rows": rows,
            "several": several,
            # what is still to come: the shares the next runs credit, the reclaims they deduct
            "coming": coming,
            # one member's total; across workshops (the office) it would mean nothing
            "coming_total": None if several else sum((r["net"] for r in coming), ZERO),
            "reclaims": settlement.open_reclaim_rows(today, scope),
        },
    )


def _iso_date(line: dict, key: str):
    return date.fromisoformat(line[key]) if line.get(key) else None


# --- the office's pages ---------------------------------------------------------------------------


def _issuer_choices() -> list[tuple[str, str]]:
    workshops = (
        Workshop.objects.filter(issued_invoices__isnull=False)
        .distinct()
        .order_by("name")
        .values_list("pk", "name")
    )
    return [
        ("coop", _("Cooperative: invoices")),
        (services.CREDIT_NOTE_KEY, _("Cooperative: credit notes to members")),
        *((f"ws{pk}", name) for pk, name in workshops),
    ]


def _with_overdue_flag(qs, today):
    """``is_overdue`` for the state badge; the list's "overdue" tab is the same rule."""
    return qs.annotate(is_overdue=dunning.past_due(today))


@office_page
def invoice_list(request):
    today = timezone.localdate()
    form = InvoiceFilterForm(request.GET or None, issuers=_issuer_choices())
    qs = payments.with_balance(invoices_visible_to(request.user))
    status = 200
    if form.is_bound and not form.is_valid():
        qs, status = qs.none(), 400
    elif form.is_bound:
        data = form.cleaned_data
        if data["aussteller"]:
            qs = qs.filter(issuer_key=data["aussteller"])
        if data["suche"]:
            term = data["suche"].strip()
            qs = qs.filter(
                Q(buyer_name__icontains=term)
                # a credit note's counterpart is the member, its seller
                | Q(issuer_key=Invoice.SELF_BILLED_KEY, seller_name__icontains=term)
                | Q(buyer_attention__icontains=term)
                | Q(customer_number__iexact=term)
                | Q(number__icontains=term)
            )
        if data["monat"]:
            qs = qs.filter(issue_date__range=settlement.month_bounds(data["monat"]))
    # the state tabs count what the other filters leave; a cancellation document stays issued
    # but belongs with the invoice it cancels, under "cancelled"
    qs = qs.annotate(
        tab=Case(
            When(kind=Invoice.Kind.CANCELLATION, then=Value(Invoice.State.CANCELLED.value)),
            default=F("state"),
            output_field=CharField(),
        )
    )
    counts = dict(qs.order_by().values_list("tab").annotate(n=Count("id")))
    counts["all"] = sum(counts.values())
    counts["overdue"] = qs.filter(dunning.past_due(today)).count()
    counts["charges"] = qs.filter(charges_open__gt=0).count()
    # credits owed back to customers: over-paid, or paid and cancelled since (the credit stands
    # on the cancelled invoice; a credit note's is the members' payout, not a refund)
    refunds = qs.filter(kind__in=dunning.DUNNED_KINDS, open__lt=0).exclude(
        state=Invoice.State.DRAFT
    )
    counts["refund"] = refunds.count()
    refund_total = -(refunds.aggregate(s=Sum("open"))["s"] or ZERO)
    state = form.cleaned_data.get("status") if form.is_bound and status == 200 else ""
    if state == "overdue":
        qs = qs.filter(dunning.past_due(today))
    elif state == "charges":
        qs = qs.filter(charges_open__gt=0)
    elif state == "refund":
        qs = refunds
    elif state:
        qs = qs.filter(tab=state)
    # what customers and members still owe: not the cancellations (their negative amount only
    # undoes the cancelled invoice) nor the credit notes (owed to the members)
    # (nor a final invoice the progress payments exceed: its credit is counted under "to refund")
    receivable = qs.filter(state=Invoice.State.ISSUED, kind__in=dunning.DUNNED_KINDS, open__gt=0)
    open_total = receivable.aggregate(s=Sum("open"))["s"] or ZERO
    page = Paginator(_with_overdue_flag(qs, today), PAGE_SIZE).get_page(request.GET.get("seite"))
    tabs = [("", _("all"), counts["all"])] + [
        (value, label, counts.get(value, 0)) for value, label in InvoiceFilterForm.STATES
    ]
    context = {
        "form": form,
        "page": page,
        "tabs": tabs,
        "state": state or "",
        "open_total": open_total,
        "refund_total": refund_total,
        "filtered": bool(form.is_bound and any(request.GET.get(k) for k in form.fields)),
        "section": "list",
    }
    return render(request, "invoicing/office/list.html", context, status=status)


def _detail_context(request, invoice: Invoice, **forms) -> dict:
    today = timezone.localdate()
    # Lines and deductions read once, for the totals and the page alike.
    prefetch_related_objects(
        [invoice],
        Prefetch("lines", queryset=InvoiceLine.objects.select_related("performed_by")),
        "deductions",
    )
    totals = services.invoice_totals(invoice)
    try:
        level = invoice.dunning.level
    except Dunning.DoesNotExist:
        level = 0
    # Paid in full, nothing to book by hand (a bank import still books a second transfer).
    may_pay = invoice.state in payments.PAYABLE_STATES and invoice.open + invoice.charges_open > 0
    # a credit to pay back: what was over-paid, or paid on an invoice cancelled since
    may_refund = invoice.open < 0 and invoice.kind in dunning.DUNNED_KINDS
    prepared = list(payments.prepared_transfers(invoice).select_related("prepared_by"))
    # what no prepared transfer holds yet: the default of a new transfer or refund
    free = max(-invoice.open - sum((t.amount for t in prepared), ZERO), ZERO)
    try:
        waived = invoice.dunning if invoice.dunning.charges_waived else None
        default_since = invoice.dunning.default_since
    except Dunning.DoesNotExist:
        waived, default_since = None, None
    # Interest runs on while the invoice is open; the notices state it up to their day.
    accrued = None
    if default_since and invoice.open > 0 and invoice.state == Invoice.State.ISSUED:
        accrued = dunning.default_interest(
            invoice.amount_due,
            dunning.payments_of(invoice),
            dunning.interest_rates(invoice),
            default_since,
            today,
        )
    # A cancelled invoice's notes as printed, without the payment terms it no longer has.
    notes, terms_void = invoice.legal_notes or [], ""
    if invoice.state == Invoice.State.CANCELLED and invoice.legal_notes:
        terms = services.payment_terms(invoice)
        notes = [note for note in invoice.legal_notes if note != terms]
        if len(notes) < len(invoice.legal_notes):
            terms_void = ", ".join(c.number for c in invoice.corrections.all() if c.number)
    return {
        "notes": notes,
        "terms_void": terms_void,
        "accrued_interest": accrued,
        "claimed_interest": invoice.dunning_notices.order_by("-level")
        .values_list("interest", flat=True)
        .first(),
        "invoice": invoice,
        "lines": invoice.lines.all(),
        "deductions": invoice.deductions.all(),
        "groups": totals.groups,
        "credit": -invoice.open if invoice.open < 0 else ZERO,
        "settled_how": _settled_how(invoice),
        "owed": invoice.open + invoice.charges_open,
        "mail": InvoiceMail.objects.filter(invoice=invoice).first(),
        "waived": waived,
        "may_waive": invoice.charges_open > 0 and invoice.open <= 0,
        "payments": invoice.payments.select_related("recorded_by", "transfer"),
        "today": today,
        "corrections": invoice.corrections.order_by("pk"),
        "notices": invoice.dunning_notices.order_by("level"),
        "dunning_level": Dunning.Level(level).label if level else "",
        "may_issue": invoice.is_draft,
        "may_cancel": invoice.state in payments.PAYABLE_STATES
        and invoice.kind != Invoice.Kind.CANCELLATION,
        "may_pay": may_pay,
        "issue_form": forms.get("issue_form") or IssueForm(),
        "cancel_form": forms.get("cancel_form") or CancelForm(),
        "payment_form": forms.get("payment_form")
        or PaymentForm(initial={"booked_on": today, "reference": invoice.number}),
        "may_refund": may_refund,
        "refund_form": forms.get("refund_form")
        or RefundForm(
            initial={
                "amount": number_format(free, decimal_pos=2) if free > 0 else "",
                "booked_on": today,
                "reference": _("Refund %(number)s") % {"number": invoice.number},
            }
        ),
        "refund_free": free,
        # each prepared transfer with its "carried out on" form (the refused one kept)
        "prepared_transfers": [
            (
                transfer,
                forms["booked_form"]
                if forms.get("booked_form_for") == transfer.pk
                else _booked_form(transfer, today),
            )
            for transfer in prepared
        ],
        "transfer_form": forms.get("transfer_form")
        or (_transfer_form(invoice, today, free) if may_refund and free > 0 else None),
        "withdrawal": _withdrawal(invoice.package),
        "held": dunning.HELD_REASON if invoice.is_held else "",
        "section": "list",
    }


def _settled_how(invoice: Invoice) -> str:
    """How a paid invoice that asked for no money was settled, for the page to say: ``covered``
    (the progress payments cover it), ``nothing`` (it billed nothing) or ``refunded`` (they
    exceeded it and the credit went back); "" for any other invoice, and while a credit is open
    again (the bank returned the refund)."""
    if invoice.state != Invoice.State.PAID or invoice.kind not in services.CUSTOMER_BILLS:
        return ""
    if invoice.amount_due < 0:
        return "refunded" if invoice.open >= 0 else ""
    if invoice.amount_due == 0:
        return "covered" if invoice.prepaid_total else "nothing"
    return ""


def _booked_form(transfer: RefundTransfer, today, data=None) -> TransferBookedForm:
    # a prefix per transfer keeps the date fields' ids apart on the page
    return TransferBookedForm(
        data,
        prefix=f"transfer{transfer.pk}",
        initial={"booked_on": min(transfer.execution_date, today)},
    )


def _transfer_form(invoice: Invoice, today, free) -> RefundTransferForm:
    """The SEPA transfer of the credit, filled in with the account it was paid from."""
    name, iban = payments.refund_payee(invoice)
    return RefundTransferForm(
        initial={
            "name": name or invoice.buyer_name,
            "iban": iban,
            "amount": number_format(free, decimal_pos=2),
            "execution_date": today,
        }
    )


def _visible_invoice(request, invoice_id: int) -> Invoice:
    qs = (
        payments.with_balance(invoices_visible_to(request.user))
        .select_related("original", "package")
        .annotate(is_held=dunning.held())
    )
    return get_object_or_404(_with_overdue_flag(qs, timezone.localdate()), pk=invoice_id)


def _render_detail(request, invoice: Invoice, status: int = 200, **forms):
    context = _detail_context(request, invoice, **forms)
    return render(request, "invoicing/office/detail.html", context, status=status)


@office_page
def invoice_detail(request, invoice_id: int):
    return _render_detail(request, _visible_invoice(request, invoice_id))


@office_page
@require_POST
def issue(request, invoice_id: int):
    invoice = _visible_invoice(request, invoice_id)
    form = IssueForm(request.POST)
    if form.is_valid():
        try:
            issued = services.issue_invoice(invoice, issue_date=form.cleaned_data["issue_date"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("Invoice %(number)s issued.") % {"number": issued.number})
            return redirect("invoicing:detail", invoice_id=invoice.pk)
    return _render_detail(request, invoice, status=422, issue_form=form)


@office_page
@require_POST
def delete_draft(request, invoice_id: int):
    invoice = _visible_invoice(request, invoice_id)
    try:
        services.delete_draft(invoice)
    except ValidationError as error:
        form = IssueForm({})  # bound and clean (the date is optional): it can carry the error
        form.is_valid()
        form.add_service_errors(error)
        return _render_detail(request, invoice, status=422, issue_form=form)
    messages.success(
        request, _("The draft “%(title)s” has been deleted.") % {"title": invoice.title}
    )
    return redirect("invoicing:list")


@office_page
@require_POST
def cancel(request, invoice_id: int):
    invoice = _visible_invoice(request, invoice_id)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            storno = services.cancel_invoice(invoice, issue_date=form.cleaned_data["issue_date"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("Invoice %(number)s cancelled by %(storno)s.")
                % {"number": invoice.number, "storno": storno.number},
            )
            if invoice.settled_in.exists():
                messages.info(
                    request,
                    _(
                        "The members' shares of this invoice were paid out already: they come "
                        "off their next credit notes (month-end run, “Shares to take back”)."
                    ),
                )
            return redirect("invoicing:detail", invoice_id=storno.pk)
    return _render_detail(request, invoice, status=422, cancel_form=form)


@office_page
@require_POST
def refund_transfer(request, invoice_id: int):
    """Prepare the credit's transfer back to the customer as a SEPA file (pain.001) for the
    bank. It books no refund (that follows once the bank carried it out), but holds its amount,
    so a second click does not pay the credit back twice."""
    invoice = _visible_invoice(request, invoice_id)
    form = RefundTransferForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            transfer = payments.prepare_refund_transfer(
                invoice,
                name=data["name"],
                iban=data["iban"],
                amount=data["amount"],
                execution_date=data["execution_date"],
                user=request.user,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _(
                    "Transfer of %(amount)s to %(name)s prepared: download the file below and "
                    "hand it to the bank."
                )
                % {"amount": format_money(transfer.amount), "name": transfer.payee_name},
            )
            return redirect(
                reverse("invoicing:detail", args=[invoice.pk]) + f"#transfer-{transfer.pk}"
            )
    return _render_detail(request, invoice, status=422, transfer_form=form)


def _invoice_transfer(request, invoice_id: int, transfer_id: int):
    invoice = _visible_invoice(request, invoice_id)
    return invoice, get_object_or_404(invoice.refund_transfers, pk=transfer_id)


@office_page
def refund_transfer_file(request, invoice_id: int, transfer_id: int):
    """A prepared transfer's SEPA file, the same each time."""
    return transfer_file_response(*_invoice_transfer(request, invoice_id, transfer_id))


@office_page
@require_POST
def book_refund_transfer(request, invoice_id: int, transfer_id: int):
    """The bank carried a prepared transfer out: its refund is booked."""
    invoice, transfer = _invoice_transfer(request, invoice_id, transfer_id)
    form = _booked_form(transfer, timezone.localdate(), request.POST)
    if form.is_valid():
        try:
            recorded = payments.record_refund(
                invoice,
                amount=transfer.amount,
                booked_on=form.cleaned_data["booked_on"],
                user=request.user,
                transfer=transfer.pk,
            )
        except ValidationError as error:
            if "transfer" in error.message_dict:  # booked or discarded meanwhile: no form left
                messages.error(request, " ".join(error.message_dict["transfer"]))
                return redirect("invoicing:detail", invoice_id=invoice.pk)
            form.add_service_errors(error)
        else:
            _refund_booked(request, transfer.amount, recorded)
            return redirect("invoicing:detail", invoice_id=invoice.pk)
    return _render_detail(
        request, invoice, status=422, booked_form=form, booked_form_for=transfer.pk
    )


@office_page
@require_POST
def refund_transfer_returned(request, invoice_id: int, transfer_id: int):
    """The bank returned a booked refund transfer: booked back, the credit is open again."""
    invoice, transfer = _invoice_transfer(request, invoice_id, transfer_id)
    form = TransferReturnedForm(request.POST, prefix=f"return{transfer.pk}")
    if form.is_valid():
        try:
            payments.record_transfer_returned(
                invoice, transfer.pk, booked_on=form.cleaned_data["booked_on"], user=request.user
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _(
                    "The transfer of %(amount)s to %(name)s came back: the credit is open "
                    "again, ready for another transfer."
                )
                % {"amount": format_money(transfer.amount), "name": transfer.payee_name},
            )
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("invoicing:detail", invoice_id=invoice.pk)


@office_page
@require_POST
def discard_refund_transfer(request, invoice_id: int, transfer_id: int):
    """The transfer was not carried out (the bank refused it, or the file was never handed
    in): its amount is free again."""
    invoice, transfer = _invoice_transfer(request, invoice_id, transfer_id)
    try:
        payments.discard_refund_transfer(invoice, transfer.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The transfer of %(amount)s to %(name)s has been discarded.")
            % {"amount": format_money(transfer.amount), "name": transfer.payee_name},
        )
    return redirect("invoicing:detail", invoice_id=invoice.pk)


def _book(request, invoice: Invoice, form, service):
    """Money that moved (a payment, a refund) from a valid form through its service; None, with
    the refusals on the form, otherwise."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return service(
            invoice,
            amount=data["amount"],
            booked_on=data["booked_on"],
            reference=data["reference"],
            user=request.user,
        )
    except ValidationError as error:
        form.add_service_errors(error)
        return None


@office_page
@require_POST
def record_payment(request, invoice_id: int):
    invoice = _visible_invoice(request, invoice_id)
    form = PaymentForm(request.POST, open_amount=invoice.open + invoice.charges_open)
    recorded = _book(request, invoice, form, payments.record_payment)
    if recorded is not None:
        data = form.cleaned_data
        if recorded.open > 0:
            text = _("Payment of %(amount)s recorded; %(open)s remain open.")
        elif recorded.open < 0:
            text = _("Payment of %(amount)s recorded; %(credit)s over-paid (credit).")
        elif recorded.charges_open > 0:
            text = _(
                "Payment of %(amount)s recorded; the invoice is paid, "
                "%(charges)s of dunning charges remain open."
            )
        else:
            text = _("Payment of %(amount)s recorded; the invoice is paid in full.")
        messages.success(
            request,
            text
            % {
                "amount": format_money(data["amount"]),
                "open": format_money(recorded.open + recorded.charges_open),
                "credit": format_money(-recorded.open),
                "charges": format_money(recorded.charges_open),
            },
        )
        return redirect("invoicing:detail", invoice_id=invoice.pk)
    return _render_detail(request, invoice, status=422, payment_form=form)


def _refund_booked(request, amount, recorded: payments.Recorded) -> None:
    left = -recorded.open
    messages.success(
        request,
        (
            _("Refund of %(amount)s recorded; %(credit)s of credit remain.")
            if left > 0
            else _("Refund of %(amount)s recorded; nothing is left to refund.")
        )
        % {"amount": format_money(amount), "credit": format_money(left)},
    )


@office_page
@require_POST
def record_refund(request, invoice_id: int):
    """The customer's credit was transferred back to her."""
    invoice = _visible_invoice(request, invoice_id)
    form = RefundForm(request.POST)
    recorded = _book(request, invoice, form, payments.record_refund)
    if recorded is not None:
        _refund_booked(request, form.cleaned_data["amount"], recorded)
        return redirect("invoicing:detail", invoice_id=invoice.pk)
    return _render_detail(request, invoice, status=422, refund_form=form)


@office_page
@require_POST
def send_again(request, invoice_id: int):
    """E-mail the invoice to the customer again (lost, or a new address)."""
    invoice = _visible_invoice(request, invoice_id)
    try:
        sent = delivery.send_again(invoice)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(number)s e-mailed to %(to)s.") % {"number": invoice.number, "to": sent.to},
        )
    return redirect("invoicing:detail", invoice_id=invoice.pk)


@office_page
@require_POST
def waive_charges(request, invoice_id: int):
    """Let go of the dunning charges still open (goodwill, or a small rest once the invoice was
    paid): the invoice then leaves the list of open charges."""
    invoice = _visible_invoice(request, invoice_id)
    try:
        amount = dunning.waive_charges(invoice, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Dunning charges of %(amount)s on %(number)s waived.")
            % {"amount": format_money(amount), "number": invoice.number},
        )
    return redirect("invoicing:detail", invoice_id=invoice.pk)


# --- a package's invoicing ------------------------------------------------------------------------


#: What the homeowner paid goes back within fourteen days of her withdrawal (§ 357 Abs. 1 BGB).
REFUND_DAYS = 14


def _withdrawal(package: Package | None) -> dict | None:
    """A withdrawn package's facts for the office (``invoicing/office/_withdrawal.html``): the
    compensation as :func:`invoicing.services.compensation` reads it, why none may be billed
    (empty when it may), and the last day to refund what was paid."""
    if package is None or package.withdrawn_at is None:
        return None
    owed = services.compensation(package)
    return {
        "owed": owed,
        "reason": next(iter(owed.errors().values()), ""),
        "refund_by": timezone.localdate(owed.withdrawn_at) + timedelta(days=REFUND_DAYS),
    }


def _render_package(request, package: Package, form=None, status: int = 200):
    """The package's invoices, drafts and cancellations too, and drafting its invoice; for a
    withdrawn package, what may be billed."""
    invoices = list(
        _with_overdue_flag(
            payments.with_balance(invoices_visible_to(request.user).filter(package=package)),
            timezone.localdate(),
        )
        .annotate(is_held=dunning.held())
        .order_by("pk")
    )
    standing = [
        i
        for i in invoices
        if i.kind in (Invoice.Kind.INVOICE, Invoice.Kind.FINAL)
        and i.state != Invoice.State.CANCELLED
    ]
    context = {
        "package": package,
        "invoices": invoices,
        "form": form or PackageInvoiceForm(),
        "may_draft": not standing,
        "withdrawal": _withdrawal(package),
        "section": "list",
    }
    return render(request, "invoicing/office/package.html", context, status=status)


def _office_package(package_id: int) -> Package:
    return get_object_or_404(Package.objects.select_related("customer", "site"), pk=package_id)


@office_page
def package_invoicing(request, package_id: int):
    return _render_package(request, _office_package(package_id))


@office_page
@require_POST
def draft_package_invoice(request, package_id: int):
    package = _office_package(package_id)
    form = PackageInvoiceForm(request.POST)
    if form.is_valid():
        try:
            invoice = services.draft_package_invoice(package)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The invoice is drafted: check it, then issue it."))
            return redirect("invoicing:detail", invoice_id=invoice.pk)
    return _render_package(request, package, form, status=422)


# --- month-end ------------------------------------------------------------------------------------


def _month_end_operations():
    from zunft.core.models import Operation

    return Operation.objects.filter(kind=MONTH_END).order_by("-pk")


def _operation_context(operation) -> dict:
    """What the panel shows of one month-end run: progress, and once done the invoices it issued
    (with links), the packages it skipped and the settlements."""
    if operation is None:
        return {"operation": None}
    result = operation.result or {}
    try:
        period = settlement.parse_period(operation.params.get("period", ""))
    except ValidationError:
        period = None
    issued = Invoice.objects.filter(issuer_key="coop", number__in=result.get("issued", []))
    members = list(
        Settlement.objects.filter(pk__in=result.get("settlements", []))
        .select_related("workshop", "credit_note", "fee_invoice")
        .order_by("workshop__name")
    )
    percent = 100 * operation.progress // operation.total if operation.total else 0
    return {
        "operation": operation,
        "period": period,
        "percent": percent,
        "issued": issued.order_by("number"),
        "skipped": result.get("skipped", []),
        "settlements": len(result.get("settlements", [])),
        # the members' documents of the run: a credit note each, with its fee invoice
        "member_documents": members,
        "issued_month": next(
            (doc.issue_date for doc in [*issued, *(s.credit_note for s in members)]), None
        ),
        "payout_total": result.get("payout_total"),
        "settled_before": result.get("settled_before", False),
        "finished": operation.state in ("done", "failed"),
    }


def _panel_html(request, operation) -> str:
    return render_to_string(
        "invoicing/office/_operation.html", _operation_context(operation), request=request
    )


def _month_end_labels() -> dict:
    """The texts the page's script shows (the script has no catalogue)."""
    from zunft.core.models import Operation

    return {
        "state": dict(Operation.State.choices),
        "progress": _("%(done)s of %(total)s steps (%(percent)s %%)"),
        "waiting": _("Waiting for a worker…"),
        "live": {
            "connecting": _("connecting…"),
            "live": _("live"),
            "offline": _("offline — retrying"),
        },
        "failed_start": _("The run could not be started."),
    }


@office_page
def month_end(request):
    """Pick a month and start the run; the panel follows the operation live. A plain form post
    answers with a redirect; the page's script posts with ``Accept: application/json`` and gets
    the operation and its panel, so it keeps its socket and sees every step. ``?vorgang=<id>``
    shows one run as the database has it: what a reload, and the script after a step or a
    reconnect, read."""
    wants_json = "application/json" in request.headers.get("Accept", "")
    if request.method == "POST":
        form = MonthEndForm(request.POST)
        started = None
        if form.is_valid():
            try:
                started = settlement.start_month_end(form.cleaned_data["period"], user=request.user)
            except ValidationError as error:
                form.add_service_errors(error)
        if started is not None:
            operation, created = started
            again = not created
            url = f"{reverse('invoicing:month-end')}?vorgang={operation.pk}"
            if wants_json:
                return JsonResponse(
                    {
                        "operation": operation.pk,
                        "state": operation.state,
                        "running_already": again,
                        "url": url,
                        "panel": _panel_html(request, operation),
                    },
                    status=202,
                )
            if again:
                messages.info(request, _("This month's run is already under way."))
            return redirect(url)
        if wants_json:
            return JsonResponse({"errors": form.errors.get_json_data()}, status=422)
        status = 422
    else:
        previous = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
        form, status = MonthEndForm(initial={"period": previous}), 200
    return _render_month_end(request, form, status)


def _render_month_end(
    request, form, status, payout: tuple | None = None, export: ExportForm | None = None
):
    """The month-end page; ``payout`` is (settlement run, its payout form with errors),
    ``export`` the export form with its errors."""
    operations = _month_end_operations()
    chosen = request.GET.get("vorgang", "")
    if chosen.isdigit():
        operation = get_object_or_404(operations, pk=int(chosen))
    else:
        operation = operations.first()
    issued = Q(settlements__credit_note__state=Invoice.State.ISSUED)
    # Transferred: a payout booked as such (a fee offset alone settles a note, sends nothing).
    transfer = Q(settlements__credit_note__payments__source=Payment.Source.TRANSFER)
    runs = SettlementRun.objects.annotate(
        members=Count("settlements", distinct=True),
        to_transfer=Count(
            "settlements", filter=issued & Q(settlements__payout__gt=0), distinct=True
        ),
        transferred_on=Max("settlements__credit_note__payments__booked_on", filter=transfer),
    )[:12]
    today = timezone.localdate()
    for run in runs:
        if payout and payout[0].pk == run.pk:
            run.payout_form = payout[1]
        else:
            run.payout_form = PayoutForm(initial={"booked_on": today}, prefix=f"run{run.pk}")
    last_month_end = today.replace(day=1) - timedelta(days=1)
    context = {
        "reclaims": settlement.open_reclaim_rows(today),
        "form": form,
        "recent": operations.select_related("created_by")[:10],
        "runs": runs,
        # the books for the tax advisor: the last month by default
        "export": export
        or ExportForm(initial={"start": last_month_end.replace(day=1), "end": last_month_end}),
        "labels": _month_end_labels(),
        "section": "month-end",
        **_operation_context(operation),
    }
    return render(request, "invoicing/office/month_end.html", context, status=status)


@office_page
@require_POST
def record_payouts(request, period: str):
    """The bank executed the month's SEPA payout file: book each member's payout as transferred
    (their credit notes become paid), on the day the clerk gives."""
    try:
        month = settlement.parse_period(period)
    except ValidationError as error:
        raise Http404 from error
    run = get_object_or_404(SettlementRun, period=month)
    form = PayoutForm(request.POST, prefix=f"run{run.pk}")
    if form.is_valid():
        try:
            booked = settlement.record_payouts(
                run, booked_on=form.cleaned_data["booked_on"], user=request.user
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)d payout for %(month)s booked as transferred.",
                    "%(count)d payouts for %(month)s booked as transferred.",
                    booked,
                )
                % {"count": booked, "month": f"{run.period:%m/%Y}"},
            )
            return redirect("invoicing:month-end")
    return _render_month_end(
        request, MonthEndForm(initial={"period": run.period}), 422, (run, form)
    )


@office_page
def export_books(request):
    """The cooperative's books of a period as a file for the tax advisor (the invoice list or
    the DATEV batch). A period the export cannot take is shown at its field on the month-end
    page, which works without a script."""
    if not request.GET:
        return redirect(reverse("invoicing:month-end") + "#exports")
    form = ExportForm(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        try:
            filename, mimetype, content = exports.export_file(
                data["format"], "coop", data["start"], data["end"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            response = HttpResponse(content, content_type=mimetype)
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
    previous = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    return _render_month_end(request, MonthEndForm(initial={"period": previous}), 422, export=form)


# --- dunning --------------------------------------------------------------------------------------


@office_page
def dunning_notice(request, notice_id: int):
    """One reminder or dunning letter as it was sent, to read or to print and post (customers
    without an e-mail address get theirs on paper)."""
    notice = get_object_or_404(
        DunningNotice.objects.select_related("invoice", "invoice__dunning"), pk=notice_id
    )
    subject, text = dunning.notice_text(notice)
    context = {
        "notice": notice,
        "invoice": notice.invoice,
        "subject": subject,
        "paragraphs": [part for part in text.split("\n\n") if part.strip()],
        "section": "dunning",
    }
    return render(request, "invoicing/office/notice.html", context)


def _next_step(invoice: Invoice, level: int, last_step_on, today) -> dict:
    """What the daily dunning run will do next with this invoice, and when (its own rule,
    :func:`invoicing.dunning.next_step_on`)."""
    step = dunning.next_step_on(level, last_step_on, invoice)
    if step is None:
        return {"level": None, "label": _("No further automatic step: consider collection.")}
    following, on = step
    fee = dunning.fee_for(invoice, following)
    return {
        "level": following,
        "label": following.label,
        "on": max(on, today),
        "today": on <= today,
        "fee": fee,
        "fee_text": format_money(fee).replace(" ", "\u00a0"),
        "interest": following != Dunning.Level.REMINDER,
    }


@office_page
def dunning_list(request):
    return _render_dunning(request)


@office_page
@require_POST
def enter_base_rate(request):
    """The office enters the base rate the Bundesbank published for a half-year."""
    today = timezone.localdate()
    form = BaseRateForm(request.POST, days=dunning.half_year_starts(today))
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = dunning.enter_base_rate(
                data["valid_from"], data["rate"], user=request.user, replace=data["replace"]
            )
        except ValidationError as error:
            form.asks_replace = BaseRate.objects.filter(valid_from=data["valid_from"]).exists()
            form.add_service_errors(error)
        else:
            values = {"rate": number_format(entry.rate), "day": format_day(entry.valid_from)}
            if entry.replaced is not None:
                text = _("Base rate of %(rate)s %% from %(day)s entered; it replaces %(old)s %%.")
                values["old"] = number_format(entry.replaced)
            else:
                text = _("Base rate of %(rate)s %% from %(day)s entered.")
            messages.success(request, text % values)
            return redirect("invoicing:dunning")
    return _render_dunning(request, form, status=422)


def _days_named(days: list) -> str:
    """ "01.07.2025" or "01.07.2025 and 01.01.2026" (at most two half-years are missing)."""
    named = [format_day(day) for day in days]
    if len(named) == 2:
        return _("%(first)s and %(second)s") % {"first": named[0], "second": named[1]}
    return ", ".join(named)


def _render_dunning(request, rate_form: BaseRateForm | None = None, status: int = 200):
    today = timezone.localdate()
    base = dunning.base_rates()
    # every late invoice, also those still within the reminder period
    qs = (
        dunning.overdue(today, days=1)
        .annotate(is_held=dunning.held())
        .select_related("dunning", "package")
        .prefetch_related("dunning_notices", "payments")
        .order_by("due_date", "pk")
    )
    rows, levels = [], {level: 0 for level in Dunning.Level.values}
    for invoice in qs:
        try:
            state = invoice.dunning
        except Dunning.DoesNotExist:
            state = None
        level = state.level if state else 0
        levels[level] += 1
        notices = sorted(invoice.dunning_notices.all(), key=lambda n: n.level)
        rates = dunning.interest_rates(invoice, base)
        default_since = state.default_since if state else None
        rows.append(
            {
                "invoice": invoice,
                "level": level,
                "level_label": Dunning.Level(level).label,
                "days_overdue": (today - invoice.due_date).days,
                "default_since": default_since,
                "notices": notices,
                "last": notices[-1] if notices else None,
                "fees": sum((n.fee for n in notices), ZERO),
                "interest": dunning.default_interest(
                    invoice.amount_due, dunning.payments_of(invoice), rates, default_since, today
                ),
                "rate": dunning.rate_on(rates, today - timedelta(days=1)),  # the last day
                "next": _next_step(invoice, level, state.last_step_on if state else None, today),
                # the daily run leaves it to the office, and says why
                "held": dunning.HELD_REASON if invoice.is_held else "",
            }
        )
    chosen = request.GET.get("stufe", "")
    days = dunning.half_year_starts(today)
    missing = dunning.missing_base_rates(today, base)
    if chosen.isdigit() and int(chosen) in levels:
        rows = [r for r in rows if r["level"] == int(chosen)]
    context = {
        "rows": rows,
        "open_total": sum((r["invoice"].open for r in rows), ZERO),
        "charges_total": sum((r["invoice"].charges_open for r in rows), ZERO),
        # paid, so no longer dunned, but the notices' fees and interest are still owed
        "charges_only": payments.with_balance(
            Invoice.objects.filter(kind__in=dunning.DUNNED_KINDS, state=Invoice.State.PAID)
        )
        .filter(charges_open__gt=0)
        .count(),
        "tabs": [(str(value), label, levels[value]) for value, label in Dunning.Level.choices],
        "all_count": sum(levels.values()),
        "chosen": chosen,
        "rules": {
            "reminder_days": settings.INVOICING_REMINDER_DAYS,
            "interval": settings.INVOICING_DUNNING_INTERVAL_DAYS,
            "fee": settings.INVOICING_DUNNING_FEE,
            "b2b": settings.INVOICING_DUNNING_B2B_FLAT,
            "base_rate": dunning.rate_on(base, today),
        },
        "missing_rates": missing,
        "missing_days": _days_named(missing),
        # the rate in use meanwhile: the one in force today (not one entered ahead)
        "last_rate": next(((on, r) for on, r in reversed(base) if date.min < on <= today), None),
        "recent_rates": BaseRate.objects.order_by("-valid_from")[:4],
        "rate_form": rate_form
        or BaseRateForm(
            days=days, initial={"valid_from": (missing[0] if missing else days[-1]).isoformat()}
        ),
        "section": "dunning",
    }
    return render(request, "invoicing/office/dunning.html", context, status=status)


# --- bank statements ------------------------------------------------------------------------------


def _imports() -> list[BankStatementImport]:
    labels = {**dict(BankTransaction.Status.choices), "duplicate": _("imported before")}
    imports = list(BankStatementImport.objects.all()[:8])
    for item in imports:
        item.counts = [(labels.get(k, k), n) for k, n in (item.summary or {}).items() if n]
    return imports


def _render_bank(
    request,
    *,
    upload=None,
    failed: dict | None = None,
    failed_dealt: dict | None = None,
    status: int = 200,
):
    unmatched = BankTransaction.objects.filter(status=BankTransaction.Status.UNMATCHED).order_by(
        "-booked_on", "-pk"
    )
    page = Paginator(unmatched, 50).get_page(request.GET.get("seite"))
    dealt = BankTransaction.objects.filter(status=BankTransaction.Status.DEALT)
    # Open invoices, and paid ones whose dunning charges are still open.
    open_invoices = list(
        payments.with_balance(
            Invoice.objects.filter(state__in=payments.PAYABLE_STATES, amount_due__gt=0)
        )
        .filter(Q(open__gt=0) | Q(charges_open__gt=0))
        .annotate(owed=F("open") + F("charges_open"))
        .order_by("-issue_date", "-pk")
        .values("pk", "number", "buyer_name", "open", "owed")[:500]
    )
    failed = failed or {}
    failed_dealt = failed_dealt or {}
    rows = []
    for row in page.object_list:
        form = failed.get(row.pk) or AssignForm(prefix=f"tx{row.pk}")
        dealt_form = failed_dealt.get(row.pk) or DealtWithForm(prefix=f"dw{row.pk}")
        same_amount = [i for i in open_invoices if row.amount in (i["open"], i["owed"])][:3]
        rows.append({"row": row, "form": form, "dealt_form": dealt_form, "candidates": same_amount})
    context = {
        "upload": upload or StatementForm(max_bytes=MAX_STATEMENT_BYTES),
        "page": page,
        "rows": rows,
        "dealt": dealt.select_related("dealt_by").order_by("-dealt_at", "-pk")[:DEALT_SHOWN],
        "dealt_count": dealt.count(),
        "open_invoices": open_invoices,
        "imports": _imports(),
        "section": "bank",
    }
    return render(request, "invoicing/office/bank.html", context, status=status)


DEALT_SHOWN = 20  # the latest credits marked as dealt with, listed below the unmatched ones


def _bank_conflict(request, error: Conflict):
    """Someone else was faster (assigned or marked the credit): say so on the page, 409."""
    messages.error(request, str(error))
    return _render_bank(request, status=409)


@office_page
def bank(request):
    if request.method != "POST":
        return _render_bank(request)
    form = StatementForm(request.POST, request.FILES, max_bytes=MAX_STATEMENT_BYTES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = payments.import_camt053(
                upload.read(), filename=upload.name or "", user=request.user
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            counts = result.counts
            if not result.created:
                messages.info(request, _("This statement was imported before; nothing changed."))
            else:
                messages.success(
                    request,
                    _(
                        "Statement imported. Matched: %(matched)s; partly paid: %(partial)s; "
                        "over-paid: %(overpaid)s; to assign by hand: %(unmatched)s."
                    )
                    % {
                        k: counts.get(k, 0) for k in ("matched", "partial", "overpaid", "unmatched")
                    },
                )
            return redirect("invoicing:bank")
    return _render_bank(request, upload=form, status=422)


@office_page
@require_POST
def assign(request, transaction_id: int):
    row = get_object_or_404(BankTransaction, pk=transaction_id)
    form = AssignForm(request.POST, prefix=f"tx{row.pk}", amount=row.amount)
    if form.is_valid():
        invoice = form.cleaned_data["invoice"]
        try:
            payments.assign_transaction(row, invoice, user=request.user)
        except Conflict as error:
            return _bank_conflict(request, error)
        except ValidationError as error:
            form.add_service_errors(
                error,
                aliases={
                    "invoice": "invoice",
                    "booked_on": "invoice",
                    "amount": "invoice",
                    "transaction": "invoice",
                },
            )
        else:
            messages.success(
                request,
                _("%(amount)s booked onto %(number)s.")
                % {"amount": format_money(row.amount), "number": invoice.number},
            )
            return redirect("invoicing:bank")
    return _render_bank(request, failed={row.pk: form}, status=422)


@office_page
@require_POST
def mark_dealt_with(request, transaction_id: int):
    row = get_object_or_404(BankTransaction, pk=transaction_id)
    form = DealtWithForm(request.POST, prefix=f"dw{row.pk}")
    if form.is_valid():
        try:
            payments.mark_dealt_with(row, form.cleaned_data["note"], user=request.user)
        except Conflict as error:
            return _bank_conflict(request, error)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("The credit of %(amount)s from %(booked_on)s is marked as dealt with.")
                % {"amount": format_money(row.amount), "booked_on": format_day(row.booked_on)},
            )
            return redirect("invoicing:bank")
    return _render_bank(request, failed_dealt={row.pk: form}, status=422)


@office_page
@require_POST
def undo_dealt_with(request, transaction_id: int):
    row = get_object_or_404(BankTransaction, pk=transaction_id)
    try:
        payments.undo_dealt_with(row, user=request.user)
    except Conflict as error:
        return _bank_conflict(request, error)
    messages.success(
        request,
        _("The credit of %(amount)s from %(booked_on)s is back on the unmatched list.")
        % {"amount": format_money(row.amount), "booked_on": format_day(row.booked_on)},
    )
    return redirect("invoicing:bank")
