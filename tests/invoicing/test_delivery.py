"""An issued invoice reaches its customer: e-mailed once with its documents, in her language,
and sent again by the daily run when the mail server refused it."""

from unittest import mock

import pytest
from django.core import mail

from invoicing import delivery, samples, services, tasks
from invoicing.models import InvoiceMail
from tests.invoicing.conftest import repair_without_email


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def issued(make, world, frozen, capture):
    with capture(execute=True):
        return make(world, frozen)


def test_an_issued_invoice_is_e_mailed_once_with_its_pdf(
    world, frozen, django_capture_on_commit_callbacks
):
    (bathroom,) = issued(samples.private_package, world, frozen, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.to == [bathroom.buyer_email]
    assert message.subject == f"Ihre Rechnung {bathroom.number}"
    assert "Bitte überweisen Sie 8.241,40 € bis zum 16.03.2026" in message.body
    assert bathroom.seller_iban in message.body
    assert f"/auftrag/{bathroom.package_id}/" in message.body
    (name, content, mimetype) = message.attachments[0]
    assert (name, mimetype) == (f"{bathroom.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    sent = InvoiceMail.objects.get(invoice=bathroom)
    assert sent.sent_at is not None and sent.to == bathroom.buyer_email
    assert delivery.send(sent.pk) is False and len(mail.outbox) == 1  # once


def test_the_mail_speaks_the_customers_language_the_documents_stay_german(world, frozen):
    (bathroom,) = samples.private_package(world, frozen)  # the send waits for the commit
    bathroom.customer.language = "en"  # she asked in English
    bathroom.customer.save(update_fields=["language"])
    assert delivery.send(InvoiceMail.objects.get(invoice=bathroom).pk)
    (message,) = mail.outbox
    assert message.subject == f"Your invoice {bathroom.number}"
    assert "Please transfer €8,241.40" in message.body
    assert f"/en/auftrag/{bathroom.package_id}/" in message.body


def test_a_public_buyer_gets_the_xrechnung_as_a_file_of_its_own(
    world, frozen, django_capture_on_commit_callbacks
):
    issued(samples.public_sector, world, frozen, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    kinds = [mimetype for _name, _content, mimetype in message.attachments]
    assert kinds == ["application/pdf", "application/xml"]
    assert message.attachments[1][1].lstrip().startswith(b"<?xml")


def test_a_cancellation_is_e_mailed_naming_the_invoice_it_cancels(
    world, frozen, django_capture_on_commit_callbacks
):
    original, storno = issued(
        samples.cancellation, world, frozen, django_capture_on_commit_callbacks
    )
    subjects = [m.subject for m in mail.outbox]
    assert subjects == [f"Ihre Rechnung {original.number}", f"Stornorechnung {storno.number}"]
    assert f"storniert die Rechnung {original.number}" in mail.outbox[1].body
    assert "überweisen" not in mail.outbox[1].body


def test_a_refused_mail_is_sent_again_by_the_daily_run(
    world, frozen, django_capture_on_commit_callbacks
):
    with mock.patch("django.core.mail.EmailMessage.send", side_effect=OSError("no server")):
        (bathroom,) = issued(
            samples.private_package, world, frozen, django_capture_on_commit_callbacks
        )
    assert mail.outbox == []
    assert InvoiceMail.objects.get(invoice=bathroom).sent_at is None
    assert tasks.dunning.apply().get()["invoices_mailed"] == 1
    assert [m.subject for m in mail.outbox] == [f"Ihre Rechnung {bathroom.number}"]
    assert tasks.dunning.apply().get()["invoices_mailed"] == 0


def test_without_an_address_nothing_is_mailed_and_the_office_is_told_to_post_it(
    world, frozen, django_capture_on_commit_callbacks, client, office_user
):
    draft = repair_without_email(frozen)
    with django_capture_on_commit_callbacks(execute=True):
        invoice = services.issue_invoice(draft, issue_date=frozen)
    assert mail.outbox == [] and not InvoiceMail.objects.exists()
    client.force_login(office_user)
    page = client.get(f"/buero/rechnungen/{invoice.pk}/").content.decode()
    assert "Keine E-Mail-Adresse: per Post senden" in page
    assert 'data-testid="send-again"' not in page
    # Sending it "again" anyway says why not, and mails nothing.
    url = f"/buero/rechnungen/{invoice.pk}/senden/"
    refused = client.post(url, follow=True).content.decode()
    assert "Es gibt keine E-Mail-Adresse, an die sie gehen kann." in refused
    assert mail.outbox == [] and not InvoiceMail.objects.exists()


def test_the_office_sends_an_invoice_again_to_the_customers_current_address(
    world, frozen, django_capture_on_commit_callbacks, client, office_user
):
    (bathroom,) = issued(samples.private_package, world, frozen, django_capture_on_commit_callbacks)
    bathroom.customer.email = "hanna.neu@example.org"  # she lost it, with her old address
    bathroom.customer.save(update_fields=["email"])
    client.force_login(office_user)
    page = client.get(f"/buero/rechnungen/{bathroom.pk}/").content.decode()
    assert f"Per E-Mail an {bathroom.buyer_email} am" in page
    assert 'data-testid="send-again"' in page
    # Issued before invoices were mailed: it says so, and offers to send it now.
    InvoiceMail.objects.all().delete()
    assert (
        "Noch nicht per E-Mail versandt"
        in client.get(f"/buero/rechnungen/{bathroom.pk}/").content.decode()
    )
    sent = client.post(f"/buero/rechnungen/{bathroom.pk}/senden/")
    assert sent.status_code == 302
    assert [m.to for m in mail.outbox] == [[bathroom.buyer_email], ["hanna.neu@example.org"]]
    assert InvoiceMail.objects.get(invoice=bathroom).to == "hanna.neu@example.org"
    shown = client.get(sent["Location"]).content.decode()
    assert f"{bathroom.number} per E-Mail an hanna.neu@example.org gesendet." in shown
