"""The invoicing part of a person's data export and erasure (registered with
``customers.privacy``), and the quote PDF for the export's packages (with ``jobs.privacy``).

There is no eraser: issued invoices keep their copied buyer name and address, with their
archived documents, payments and dunning notices (§147 AO, §14b UStG: 8 years; the database
refuses changes to them anyway). An unpaid invoice blocks erasure (the claim, Art. 17(3)(e)).
"""

from django.db.models import Q
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.privacy import Archive
from invoicing.models import Invoice
from jobs.models import Quote, Supplement


def render_quote(offer: Quote | Supplement) -> tuple[str, str, bytes]:
    """A quote's or a supplement's PDF (both are offers the homeowner decides on)."""
    # Imported on first use: keeps reportlab out of every process's start-up.
    from invoicing.quote_pdf import render_quote, render_supplement

    return render_supplement(offer) if isinstance(offer, Supplement) else render_quote(offer)


def export_invoices(customer: Customer, archive: Archive) -> list[dict]:
    """Issued invoices (drafts are internal) with their archived PDF and XML."""
    from invoicing.documents import render_documents  # as above: facturx, pypdf, reportlab

    invoices = (
        Invoice.objects.filter(customer=customer)
        .exclude(state="draft")
        .order_by("issue_date", "id")
    )
    result = []
    for invoice in invoices:
        documents = render_documents(invoice)
        files = [
            archive.add(f"rechnungen/{doc.filename}", bytes(doc.content))
            for doc in sorted(documents.values(), key=lambda d: d.kind)
        ]
        result.append(
            {
                "number": invoice.number,
                "kind": invoice.kind,
                "state": invoice.state,
                "title": invoice.title,
                "issuer": invoice.seller_name,
                "buyer_name": invoice.buyer_name,
                "issue_date": invoice.issue_date,
                "due_date": invoice.due_date,
                "performance": [invoice.performance_start, invoice.performance_end],
                "net_total": invoice.net_total,
                "tax_total": invoice.tax_total,
                "gross_total": invoice.gross_total,
                "paid_on": invoice.paid_on,
                "package": invoice.package_id,
                "files": files,
            }
        )
    return result


def erasure_blockers(customer: Customer) -> list[dict]:
    """Unpaid invoices, paid ones whose dunning charges are still owed (a claim, Art. 17
    Abs. 3 lit. e DSGVO), and credits still to be refunded to her."""
    from invoicing.payments import with_balance

    # Not a cancellation document: it owes nothing of its own.
    owing = with_balance(Invoice.objects.filter(customer=customer)).filter(
        Q(state="issued", open__gt=0)
        | Q(state__in=("issued", "paid"), charges_open__gt=0)
        | Q(open__lt=0)
    )
    return [
        {
            "kind": "invoice",
            "id": i.pk,
            "status": i.state,
            "label": (
                _("Invoice %(number)s (credit to refund)")
                if i.open < 0
                else _("Invoice %(number)s (unpaid)")
            )
            % {"number": i.number},
        }
        for i in owing.order_by("id")
    ]
