"""Sending an issued invoice to its customer: an e-mail with the archived PDF (ZUGFeRD, the XML
inside) and, for a buyer with a Leitweg-ID, the XRechnung XML as a file of its own.

The mail is written in the customer's language, amounts too; the documents are German. Each
invoice is sent once (``InvoiceMail``, claimed by a conditional update on ``sent_at``); a send
the mail server refused is given back and the daily run (``invoicing.tasks.dunning``) tries it
again.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from invoicing.models import Invoice, InvoiceMail
from zunft.core.money import format_money

logger = logging.getLogger(__name__)


def mail_on_issue(invoice: Invoice) -> InvoiceMail | None:
    """Within the issue's transaction: note the mail to send, and send it after the commit.
    Only a customer's invoice (or its cancellation) with an e-mail address is mailed; the
    members' credit notes and fee invoices are on their settlements page."""
    if not invoice.customer_id or not invoice.buyer_email:
        return None
    mail, _created = InvoiceMail.objects.get_or_create(
        invoice=invoice, defaults={"to": invoice.buyer_email}
    )
    transaction.on_commit(lambda: send(mail.pk), robust=True)
    return mail


def _text(invoice: Invoice) -> tuple[str, str]:
    name = invoice.buyer_attention or invoice.buyer_name
    if invoice.kind == Invoice.Kind.CANCELLATION:
        subject = _("Cancellation %(number)s") % {"number": invoice.number}
        lines = [
            _("Hello %(name)s,") % {"name": name},
            "",
            _(
                "attached is our cancellation %(number)s of %(date)s: it cancels invoice "
                "%(original)s."
            )
            % {
                "number": invoice.number,
                "date": f"{invoice.issue_date:%d.%m.%Y}",
                "original": invoice.original.number if invoice.original_id else "",
            },
        ]
    else:
        subject = _("Your invoice %(number)s") % {"number": invoice.number}
        lines = [
            _("Hello %(name)s,") % {"name": name},
            "",
            _("attached is our invoice %(number)s of %(date)s for %(title)s.")
            % {
                "number": invoice.number,
                "date": f"{invoice.issue_date:%d.%m.%Y}",
                "title": invoice.title,
            },
        ]
        if invoice.amount_due > 0:
            lines.append(
                _(
                    "Please transfer %(amount)s by %(due)s to IBAN %(iban)s, quoting the invoice "
                    "number."
                )
                % {
                    "amount": format_money(invoice.amount_due),
                    "due": f"{invoice.due_date:%d.%m.%Y}",
                    "iban": invoice.seller_iban,
                }
            )
    if invoice.package_id:
        url = settings.SITE_URL + reverse("package", args=[invoice.package_id])
        lines += ["", _("You find it on your order's page too: %(url)s") % {"url": url}]
    lines += ["", _("Kind regards"), invoice.seller_name]
    return subject, "\n".join(lines)


def letter(invoice: Invoice, subject: str, body: str, to: str, *, xml: bool = False):
    """A mail from the invoice's seller with its archived PDF (and XML) attached: the invoice
    itself, or a dunning notice about it."""
    from invoicing.documents import render_documents

    documents = render_documents(invoice)
    message = EmailMessage(
        subject, body, to=[to], reply_to=[invoice.seller_email] if invoice.seller_email else None
    )
    for kind, mimetype in (("pdf", "application/pdf"), ("xml", "application/xml")):
        if kind == "pdf" or xml:
            document = documents[kind]
            message.attach(document.filename, bytes(document.content), mimetype)
    return message


def send(mail_id: int) -> bool:
    """E-mail one invoice, once. False when there was nothing to send or the server refused."""
    claimed = InvoiceMail.objects.filter(pk=mail_id, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    if claimed != 1:
        return False
    mail = InvoiceMail.objects.select_related("invoice__customer", "invoice__original").get(
        pk=mail_id
    )
    invoice = mail.invoice
    try:
        with translation.override(invoice.customer.language):
            subject, body = _text(invoice)
        # A public buyer's inbox reads the XRechnung itself.
        letter(invoice, subject, body, mail.to, xml=bool(invoice.buyer_reference)).send()
    except Exception:
        InvoiceMail.objects.filter(pk=mail_id).update(sent_at=None)
        logger.exception("e-mailing invoice %s failed; the daily run tries again", invoice.number)
        return False
    return True


def send_again(invoice: Invoice) -> InvoiceMail:
    """The office sends an issued customer invoice again (lost, or a new address): to the
    customer's current e-mail address, at once. Raises ``ValidationError`` when there is none
    or the mail server refused."""
    from django.core.exceptions import ValidationError

    address = (invoice.customer.email if invoice.customer_id else "") or invoice.buyer_email
    if invoice.is_draft or not invoice.customer_id or not address:
        raise ValidationError({"invoice": _("There is no e-mail address to send it to.")})
    mail, _created = InvoiceMail.objects.get_or_create(invoice=invoice, defaults={"to": address})
    InvoiceMail.objects.filter(pk=mail.pk).update(to=address, sent_at=None)
    if not send(mail.pk):
        raise ValidationError(
            {"invoice": _("The mail server refused the e-mail; try again later.")}
        )
    mail.refresh_from_db()
    return mail


def send_waiting() -> int:
    """Send every invoice mail still waiting (its first send failed); returns how many went."""
    waiting = InvoiceMail.objects.filter(sent_at__isnull=True).order_by("pk")
    return sum(send(pk) for pk in waiting.values_list("pk", flat=True))
