"""Invoices as documents of a package page (registered with jobs.documents), each with where its
payment stands: the homeowner sees on her phone whether her transfer arrived."""

import segno
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from invoicing.models import Invoice, RefundTransfer
from invoicing.payments import with_balance
from invoicing.pdf import epc_payload, transfer_reference
from invoicing.selectors import invoices_visible_to
from invoicing.services import asks_for_transfer
from jobs.documents import Document
from zunft.core.language import format_day
from zunft.core.money import format_money


def payment_state(invoice: Invoice, today) -> tuple[str, str]:
    """``(note, state)`` for an invoice annotated by :func:`with_balance`."""
    if invoice.kind in (Invoice.Kind.CANCELLATION, Invoice.Kind.CREDIT_NOTE):
        return "", ""
    if invoice.open < 0:
        # prepared by the office and handed to the bank: the homeowner hears it is on its way
        prepared = getattr(invoice, "prepared_transfers", [])
        if prepared:
            return _(
                "credit of %(amount)s: the refund is on its way to your account "
                "(transfer on %(day)s)"
            ) % {
                "amount": format_money(-invoice.open),
                "day": format_day(max(t.execution_date for t in prepared)),
            }, "ok"
        return _("credit of %(amount)s, to be refunded") % {
            "amount": format_money(-invoice.open)
        }, "ok"
    if invoice.state == Invoice.State.CANCELLED:
        return _("cancelled"), ""
    if invoice.open > 0:
        amount = {"amount": format_money(invoice.open), "day": format_day(invoice.due_date)}
        if invoice.due_date < today:
            note = _("%(amount)s open, overdue since %(day)s") % amount
            if invoice.charges_open > 0:
                note += " " + _("(plus %(charges)s dunning charges)") % {
                    "charges": format_money(invoice.charges_open)
                }
            return note, "late"
        return _("%(amount)s open, payable by %(day)s") % amount, "open"
    if invoice.charges_open > 0:
        return _("paid; dunning charges of %(charges)s still open") % {
            "charges": format_money(invoice.charges_open)
        }, "late"
    if invoice.paid_on:
        return _("paid on %(day)s") % {"day": format_day(invoice.paid_on)}, "ok"
    return _("paid"), "ok"


def payment_details(invoice: Invoice) -> dict | None:
    """What the homeowner types into her banking app for an open invoice (annotated by
    :func:`with_balance`), and the GiroCode that fills it in when scanned from the screen: the
    open amount with the dunning charges, the invoice number as reference."""
    if invoice.open <= 0 or not asks_for_transfer(invoice):
        return None
    amount = invoice.open + max(invoice.charges_open, 0)
    payload = epc_payload(invoice, amount)
    return {
        "payee": invoice.seller_name,
        "iban": invoice.seller_iban,
        "bic": invoice.seller_bic,
        "amount": amount,
        "reference": transfer_reference(invoice),
        "girocode": segno.make(payload, error="m").svg_data_uri(scale=4) if payload else "",
    }


def package_invoices(user, package) -> list[Document]:
    """Issued invoices of the package the user may see (homeowner: their own; office: all)."""
    invoices = with_balance(
        invoices_visible_to(user)
        .filter(package=package)
        .exclude(state=Invoice.State.DRAFT)
        .order_by("issue_date", "id")
    ).prefetch_related(
        Prefetch(
            "refund_transfers",
            queryset=RefundTransfer.objects.filter(state=RefundTransfer.State.PREPARED),
            to_attr="prepared_transfers",
        )
    )
    today = timezone.localdate()
    documents = []
    for invoice in invoices:
        note, state = payment_state(invoice, today)
        held = (
            package.withdrawn_at is not None
            and invoice.kind == Invoice.Kind.PROGRESS
            and invoice.open > 0
        )
        if held:
            # Held from dunning since the withdrawal: the office settles it with what is owed
            # for the work done (or not), so she is not urged to pay it, nor told it is late.
            note = _(
                "%(amount)s open; after your withdrawal the office settles it with the work "
                "done until then and will write to you"
            ) % {"amount": format_money(invoice.open)}
            state = "open"
        documents.append(
            Document(
                "invoice",
                f"{capfirst(invoice.get_kind_display())} {invoice.number}",
                reverse("api:invoice_pdf", args=[invoice.pk]),
                invoice.issue_date,
                note,
                state,
                None if held else payment_details(invoice),
            )
        )
    return documents
