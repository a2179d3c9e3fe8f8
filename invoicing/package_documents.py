"""Invoices as documents of a package page (registered with jobs.documents)."""

from django.urls import reverse
from django.utils.text import capfirst

from invoicing.models import Invoice
from invoicing.selectors import invoices_visible_to
from jobs.documents import Document


def package_invoices(user, package) -> list[Document]:
    """Issued invoices of the package the user may see (homeowner: their own; office: all)."""
    invoices = (
        invoices_visible_to(user)
        .filter(package=package)
        .exclude(state=Invoice.State.DRAFT)
        .order_by("issue_date", "id")
    )
    return [
        Document(
            "invoice",
            f"{capfirst(invoice.get_kind_display())} {invoice.number}",
            reverse("api:invoice_pdf", args=[invoice.pk]),
            invoice.issue_date,
        )
        for invoice in invoices
    ]
