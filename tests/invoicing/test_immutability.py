"""GoBD: the database itself keeps issued invoices as they were issued."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from invoicing import documents, samples, services
from invoicing.models import Invoice, InvoiceDocument, InvoiceLine


def raw(sql, params):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def issued(world, frozen):
    (invoice,) = samples.private_package(world, frozen)
    return invoice


def test_a_raw_sql_update_of_an_issued_invoice_fails_at_the_database(issued):
    with pytest.raises(IntegrityError, match="cannot change"):
        raw(
            "UPDATE invoicing_invoice SET gross_total = 1, net_total = 1 WHERE id = %s", [issued.pk]
        )
    issued.refresh_from_db()
    assert issued.title == "Bad komplett – Sanierung Badezimmer OG"


def test_a_raw_sql_delete_of_an_issued_invoice_fails(issued):
    with pytest.raises(IntegrityError, match="cannot be deleted"):
        raw("DELETE FROM invoicing_invoice WHERE id = %s", [issued.pk])
    assert Invoice.objects.filter(pk=issued.pk).exists()


def test_the_lines_of_an_issued_invoice_cannot_be_changed_added_or_removed(issued):
    line = issued.lines.first()
    with pytest.raises(IntegrityError):
        raw("UPDATE invoicing_invoiceline SET unit_price = 0 WHERE id = %s", [line.pk])
    with pytest.raises(IntegrityError):
        raw("DELETE FROM invoicing_invoiceline WHERE id = %s", [line.pk])
    with pytest.raises(IntegrityError, match="cannot be added"), transaction.atomic():
        InvoiceLine.objects.create(
            invoice=issued,
            position=99,
            kind="other",
            text="nachgeschoben",
            quantity=1,
            unit="LS",
            unit_price=10,
            net_amount=10,
            vat_rate=19,
            tax_category="S",
        )
    assert issued.lines.count() == 11


def test_saving_a_changed_issued_invoice_through_the_orm_fails_too(issued):
    issued.buyer_name = "Jemand anders"
    with pytest.raises(IntegrityError), transaction.atomic():
        issued.save()


def test_paying_changes_only_the_bookkeeping_columns_and_never_goes_back_to_draft(issued, frozen):
    paid = services.mark_paid(issued, paid_on=frozen)
    assert (paid.state, paid.paid_on) == (Invoice.State.PAID, frozen)
    with pytest.raises(IntegrityError, match="cannot go from paid to draft"):
        raw("UPDATE invoicing_invoice SET state = 'draft' WHERE id = %s", [issued.pk])


def test_a_cancelled_invoice_stays_cancelled(world, frozen):
    original, _storno = samples.cancellation(world, frozen)
    with pytest.raises(IntegrityError):
        raw("UPDATE invoicing_invoice SET state = 'issued' WHERE id = %s", [original.pk])


def test_archived_documents_are_written_once(issued):
    stored = documents.render_documents(issued)
    again = documents.render_documents(issued)
    assert {k: d.pk for k, d in stored.items()} == {k: d.pk for k, d in again.items()}
    with pytest.raises(IntegrityError, match="written once"):
        raw("UPDATE invoicing_invoicedocument SET content = 'x' WHERE id = %s", [stored["pdf"].pk])
    with pytest.raises(IntegrityError):
        raw("DELETE FROM invoicing_invoicedocument WHERE id = %s", [stored["xml"].pk])
    assert InvoiceDocument.objects.filter(invoice=issued).count() == 2


def test_a_draft_can_still_be_edited_and_thrown_away(world, frozen):
    customer, _site = samples.private_customer()
    draft = services.create_draft(
        customer=customer,
        lines=[services.LineInput("labour", "Arbeit", Decimal("2"), "HUR", Decimal("40.00"))],
        title="Entwurf",
        performance_start=frozen,
        performance_end=frozen,
    )
    services.add_lines(
        draft, [services.LineInput("material", "Kabel", Decimal("1"), "LS", Decimal("12.50"))]
    )
    draft.refresh_from_db()
    assert draft.net_total == Decimal("92.50")
    services.delete_draft(draft)
    assert not Invoice.objects.filter(pk=draft.pk).exists()
