"""The invoice of a withdrawn package (§ 357a Abs. 2 BGB): when the homeowner had asked for an
early start, the work recorded until the withdrawal is billed as compensation (Wertersatz),
nothing recorded after it, no coordination fee, and the progress payments are deducted; without
that request she owes nothing, and the office is told why."""

import io
import re
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from pypdf import PdfReader

from invoicing import documents, samples, services, texts
from invoicing.models import Invoice, InvoiceLine
from jobs.models import MaterialEntry, Package, Quote, QuoteLine, TimeEntry
from scheduling.models import Appointment

D = Decimal


@pytest.fixture
def withdrawn(world, frozen):
    """Hanna's bathroom, withdrawn on 23 February 2026 at 10:30 after an early start, with the
    first progress invoice (1.785,00 € gross) paid."""
    package, progress = samples.withdrawn_bathroom(world, frozen)
    assert timezone.localtime(package.withdrawn_at) == local(2026, 2, 23, 10, 30)
    return package, progress


def local(*parts) -> datetime:
    return timezone.make_aware(datetime(*parts))


def work_lines(invoice):
    return list(invoice.lines.order_by("position").values_list("text", "quantity", "net_amount"))


def test_it_bills_the_hours_and_material_recorded_until_the_withdrawal_at_the_usual_rates(
    withdrawn, world
):
    package, progress = withdrawn
    invoice = services.generate_package_invoice(package)
    assert invoice.compensation and invoice.kind == Invoice.Kind.FINAL
    assert work_lines(invoice) == [
        ("Rückbau Altinstallation Bad – Arbeitszeit", D("6.000"), D("408.00")),  # 6 h × 68 €
        # 5 h on the second day, 2,5 of the 4 h of the sixth morning (withdrawn at 10:30)
        ("Wasser- und Abwasserleitungen neu – Arbeitszeit", D("7.500"), D("510.00")),
        # 24 m × 9,80 € + 30 × 6,45 € noted before; the WC frame noted the next day is not
        ("Wasser- und Abwasserleitungen neu – Material", D("1.000"), D("428.70")),
    ]
    assert set(invoice.lines.values_list("performed_by", flat=True)) == {world.sanitaer.pk}
    # no travel, no coordination fee, though the accepted quote has one
    assert not invoice.lines.filter(kind__in=[InvoiceLine.Kind.TRAVEL, InvoiceLine.Kind.OTHER])
    quote = package.quotes.get(status=Quote.Status.ACCEPTED)
    assert quote.lines.filter(kind=QuoteLine.Kind.FEE, net__gt=0).exists()
    assert (invoice.net_total, invoice.tax_total, invoice.gross_total) == (
        D("1346.70"),
        D("255.87"),
        D("1602.57"),
    )
    (deduction,) = invoice.deductions.all()
    assert deduction.progress_invoice == progress and deduction.gross == D("1785.00")
    assert invoice.amount_due == D("-182.43")  # she paid more: the rest goes back to her
    assert (invoice.performance_start, invoice.performance_end) == (
        package.earliest_start,
        package.earliest_start + timedelta(days=5),
    )


def test_the_document_says_it_is_compensation_for_the_work_until_the_withdrawal(withdrawn, frozen):
    package, _progress = withdrawn
    invoice = services.issue_invoice(services.generate_package_invoice(package), today=frozen)
    assert invoice.title == "Wertersatz nach Widerruf: Bad komplett – Sanierung Badezimmer OG"
    assert invoice.introduction.startswith(
        "Sie haben den Vertrag „Bad komplett – Sanierung Badezimmer OG“ am 23.02.2026 um 10:30 "
        "Uhr widerrufen. Weil Sie ausdrücklich verlangt hatten,"
    )
    assert invoice.legal_notes[0] == (
        "Wertersatz für die bis zum Widerruf am 23.02.2026, 10:30 Uhr erbrachten Leistungen "
        "(§ 357a Abs. 2 BGB); eine Koordinationspauschale wird nicht berechnet."
    )
    assert texts.FINAL_NOTICE in invoice.legal_notes
    assert invoice.legal_notes[-1] == texts.COMPENSATION_REFUND_TERMS
    text = " ".join(
        PdfReader(io.BytesIO(documents.build_pdf(invoice))).pages[0].extract_text().split()
    )
    assert "Wertersatz nach Widerruf: Bad komplett" in text
    assert "Wertersatz zu leisten (§ 357a Abs. 2 BGB)" in text
    assert "abzgl. Abschlag" in text and "-182,43 €" in text


def test_hours_and_material_recorded_after_the_moment_of_withdrawal_are_not_billed(
    withdrawn, world
):
    package, _progress = withdrawn
    moment = package.withdrawn_at
    pipes = package.tasks.get(code="leitungen")
    worker = TimeEntry.objects.filter(task=pipes).first().worker
    # sent by a phone after the withdrawal, but worked before it: billed
    TimeEntry.objects.create(
        client_id=uuid.uuid4(),
        task=pipes,
        worker=worker,
        start=moment - timedelta(hours=30),
        hours=D("1.50"),
    )
    # started at the very moment: not billed
    TimeEntry.objects.create(
        client_id=uuid.uuid4(), task=pipes, worker=worker, start=moment, hours=D("2.00")
    )
    # material that never said when it was used, arriving after the withdrawal: not billed
    MaterialEntry.objects.create(
        client_id=uuid.uuid4(), task=pipes, text="Silikon", quantity=2, unit="H87", unit_price=9
    )
    owed = services.compensation(package)
    assert owed.hours == D("15.00")  # 6 + 7,5 + 1,5
    assert owed.hours_after == D("6.50")  # 1,5 that morning, 3 the next day, 2 from the moment
    assert owed.material == D("428.70")
    assert owed.material_after == D("307.00")  # the WC frame and the silicone
    invoice = services.generate_package_invoice(package)
    assert invoice.lines.get(text__endswith="neu – Arbeitszeit").quantity == D("9.000")


def test_without_the_early_start_request_it_is_refused_naming_it_and_nothing_is_written(
    withdrawn,
):
    package, _progress = withdrawn
    Quote.objects.filter(package=package).update(early_start_consent=False)
    before = Invoice.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.generate_package_invoice(package)
    assert list(refused.value.message_dict) == ["early_start_consent"]
    (message,) = refused.value.message_dict["early_start_consent"]
    assert message.startswith("Die Kundin oder der Kunde hat nicht ausdrücklich verlangt")
    assert "§ 357a Abs. 2 BGB" in message
    assert Invoice.objects.count() == before


def test_with_nothing_recorded_before_the_withdrawal_it_is_refused(withdrawn):
    package, _progress = withdrawn
    moment = package.withdrawn_at
    TimeEntry.objects.filter(task__package=package, start__lt=moment).delete()
    MaterialEntry.objects.filter(task__package=package, noted_at__lt=moment).delete()
    assert services.compensation(package).hours_after == D("3.00")  # the next day's, after
    with pytest.raises(ValidationError) as refused:
        services.generate_package_invoice(package)
    assert refused.value.message_dict == {
        "billings": [
            "Vor dem Widerruf wurden weder Stunden noch Material erfasst: Es gibt keinen "
            "Wertersatz zu berechnen."
        ]
    }


def test_more_than_the_agreed_price_is_refused(withdrawn):
    package, _progress = withdrawn
    Quote.objects.filter(package=package).update(net=D("1000.00"), vat=D("190.00"), gross=1190)
    with pytest.raises(ValidationError) as refused:
        services.generate_package_invoice(package)
    (message,) = refused.value.message_dict["billings"]
    assert "1.346,70 €" in message and "1.000,00 €" in message


def test_a_withdrawn_package_takes_no_billings_from_outside(withdrawn, world, frozen):
    package, _progress = withdrawn
    with pytest.raises(ValidationError) as refused:
        services.generate_package_invoice(
            package, billings=samples._billings(package, world, frozen)
        )
    assert list(refused.value.message_dict) == ["billings"]


def test_hours_without_a_worker_are_the_workshop_of_the_tasks_cancelled_appointment(
    withdrawn, world
):
    package, _progress = withdrawn
    wiring = package.tasks.get(code="elektro")
    start = package.withdrawn_at - timedelta(days=1)
    Appointment.objects.create(
        task=wiring,
        workshop=world.elektro,
        start=start,
        end=start + timedelta(hours=8),
        status=Appointment.Status.CANCELLED,
    )
    TimeEntry.objects.create(client_id=uuid.uuid4(), task=wiring, start=start, hours=D("2.00"))
    invoice = services.generate_package_invoice(package)
    line = invoice.lines.get(text__startswith="Elektroinstallation")
    assert (line.performed_by, line.quantity, line.unit_price) == (
        world.elektro,
        D("2.000"),
        D("61.50"),
    )


def test_a_package_that_was_not_withdrawn_is_billed_as_before(world, frozen):
    (invoice,) = samples.coordinated_package(world, frozen)
    assert not invoice.compensation
    assert invoice.lines.filter(kind=InvoiceLine.Kind.OTHER).exists()  # the fee
    assert services.compensation(Package.objects.get(pk=invoice.package_id)) is None


# --- the office drafts it: API and page ----------------------------------------------------------


@pytest.fixture
def people(db, django_user_model):
    make = django_user_model.objects.create_user
    return SimpleNamespace(
        office=make("olga", password="pw", role="office"),
        admin=make("maren", password="pw", role="workshop_admin"),
        homeowner=make("hanna", password="pw", role="homeowner"),
    )


def test_the_office_drafts_the_compensation_through_the_api(withdrawn, people, api_as):
    package, _progress = withdrawn
    answer = api_as(people.office).post(f"/api/v1/packages/{package.pk}/invoice")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["compensation"] is True and body["kind"] == "final" and body["state"] == "draft"
    assert body["title"].startswith("Wertersatz nach Widerruf")
    assert [line["net_amount"] for line in body["lines"]] == ["408.00", "510.00", "428.70"]
    assert body["amount_due"] == "-182.43"
    # once: the draft stands, a second one is refused naming it
    again = api_as(people.office).post(f"/api/v1/packages/{package.pk}/invoice")
    assert again.status_code == 422
    assert again.json()["detail"] == [
        {
            "loc": ["body", "package"],
            "msg": f"Der Auftrag hat schon seine Rechnung: Entwurf #{body['id']}.",
        }
    ]
    assert Invoice.objects.filter(package=package, compensation=True).count() == 1


def test_the_api_refuses_without_the_early_start_request_naming_the_field(
    withdrawn, people, api_as
):
    package, _progress = withdrawn
    Quote.objects.filter(package=package).update(early_start_consent=False)
    before = Invoice.objects.count()
    answer = api_as(people.office).post(f"/api/v1/packages/{package.pk}/invoice")
    assert answer.status_code == 422
    ((error),) = answer.json()["detail"]
    assert error["loc"] == ["body", "early_start_consent"]
    assert "nicht ausdrücklich verlangt" in error["msg"]
    assert Invoice.objects.count() == before


def test_only_the_office_drafts_a_packages_invoice(withdrawn, people, api_as):
    package, _progress = withdrawn
    url = f"/api/v1/packages/{package.pk}/invoice"
    assert api_as(None).post(url).status_code == 401
    assert api_as(people.admin).post(url).status_code == 403
    assert api_as(people.homeowner).post(url).status_code == 403
    assert api_as(people.office).post("/api/v1/packages/999999/invoice").status_code == 404
    assert not Invoice.objects.filter(package=package, compensation=True).exists()


def test_the_office_drafts_it_from_the_orders_invoicing_page(withdrawn, people, api_as):
    package, progress = withdrawn
    client = api_as(people.office)
    page = client.get(f"/buero/rechnungen/auftrag/{package.pk}/").content.decode()
    assert f"Abrechnung des Auftrags #{package.pk}" in page
    assert progress.number in page and 'data-testid="draft-form"' in page
    answer = client.post(f"/buero/rechnungen/auftrag/{package.pk}/entwurf/")
    invoice = Invoice.objects.get(package=package, compensation=True)
    assert answer.status_code == 302
    assert answer["Location"] == f"/buero/rechnungen/{invoice.pk}/"
    draft = client.get(answer["Location"]).content.decode()
    assert "Wertersatz nach Widerruf: Bad komplett" in draft
    assert f"/buero/rechnungen/auftrag/{package.pk}/" in draft  # back to the order's invoices
    # the order's page now lists the draft and offers no second one
    page = client.get(f"/buero/rechnungen/auftrag/{package.pk}/").content.decode()
    assert f"Entwurf #{invoice.pk}" in page and 'data-testid="draft-form"' not in page


def test_the_page_shows_why_no_compensation_is_owed_and_writes_nothing(withdrawn, people, api_as):
    package, _progress = withdrawn
    Quote.objects.filter(package=package).update(early_start_consent=False)
    before = Invoice.objects.count()
    answer = api_as(people.office).post(f"/buero/rechnungen/auftrag/{package.pk}/entwurf/")
    assert answer.status_code == 422
    assert "hat nicht ausdrücklich verlangt, dass die Arbeiten vor Ablauf der Widerrufsfrist" in (
        answer.content.decode()
    )
    assert Invoice.objects.count() == before


def test_the_orders_invoicing_page_is_the_offices(withdrawn, people, api_as):
    package, _progress = withdrawn
    url = f"/buero/rechnungen/auftrag/{package.pk}/"
    assert api_as(people.admin).get(url).status_code == 404
    assert api_as(people.homeowner).get(url).status_code == 404
    assert api_as(None).get(url).status_code == 302  # to the staff login
    assert api_as(people.office).get("/buero/rechnungen/auftrag/999999/").status_code == 404


# --- the office sees it where it invoices the order ----------------------------------------------


def facts(html: str) -> dict[str, str]:
    """The withdrawal panel's values by their test id, text only."""
    panel = html.split('data-testid="withdrawal-facts"', 1)[1].split("</section>", 1)[0]
    found = re.findall(r'data-testid="([a-z-]+)"[^>]*>(.*?)</(?:dd|p)>', panel, re.S)
    return {key: " ".join(re.sub(r"<[^>]+>", " ", value).split()) for key, value in found}


def test_the_orders_invoicing_page_says_it_was_withdrawn_and_what_may_be_billed(
    withdrawn, people, api_as
):
    package, _progress = withdrawn
    html = api_as(people.office).get(f"/buero/rechnungen/auftrag/{package.pk}/").content.decode()
    assert "Vertrag widerrufen" in html
    assert "Der Kunde hat diesen Vertrag am 23.02.2026 um 10:30 Uhr widerrufen." in html
    assert facts(html) == {
        "early-start": "ja",
        "recorded-before": "13,5 Std., Material 428,70 € netto",
        "recorded-after": "4,5 Std., Material 289,00 € netto",
        "refund-by": "abzüglich des Wertersatzes bis zum 09.03.2026 (§ 357 Abs. 1 BGB)",
        "compensation-verdict": "Wertersatz abrechenbar (§ 357a Abs. 2 BGB): die bis zum "
        "Widerruf erfassten Stunden und Materialien, ohne Koordinationspauschale.",
    }
    assert "Wertersatzrechnung entwerfen" in html


def test_without_the_early_start_request_the_page_says_no_compensation_is_owed_and_why(
    withdrawn, people, api_as
):
    package, _progress = withdrawn
    Quote.objects.filter(package=package).update(early_start_consent=False)
    html = api_as(people.office).get(f"/buero/rechnungen/auftrag/{package.pk}/").content.decode()
    shown = facts(html)
    assert shown["early-start"] == "nein"
    assert shown["compensation-verdict"].startswith(
        "Kein Wertersatz abrechenbar: Die Kundin oder der Kunde hat nicht ausdrücklich verlangt"
    )


def test_the_draft_says_it_is_compensation_and_shows_the_withdrawal(withdrawn, people, api_as):
    package, progress = withdrawn
    draft = services.generate_package_invoice(package)
    html = api_as(people.office).get(f"/buero/rechnungen/{draft.pk}/").content.decode()
    assert "Wertersatz nach Widerruf (§ 357a Abs. 2 BGB)" in html
    assert facts(html)["recorded-before"] == "13,5 Std., Material 428,70 € netto"
    # the progress invoice it deducts shows the withdrawal too
    html = api_as(people.office).get(f"/buero/rechnungen/{progress.pk}/").content.decode()
    assert 'data-testid="withdrawal-facts"' in html


def test_the_withdrawal_reads_in_english_under_the_english_prefix(withdrawn, people, api_as):
    package, _progress = withdrawn
    html = api_as(people.office).get(f"/en/buero/rechnungen/auftrag/{package.pk}/")
    shown = facts(html.content.decode())
    assert shown["early-start"] == "yes"
    assert shown["recorded-before"] == "13.5 h, material €428.70 net"
    assert shown["compensation-verdict"].startswith("Compensation may be billed")


# --- dunning: a withdrawn order's progress invoice is the office's to decide ----------------------


def test_the_dunning_page_lists_the_withdrawn_orders_progress_invoice_as_held_and_why(
    world, people, api_as
):
    package, progress = samples.withdrawn_bathroom(world, date(2026, 3, 2), paid=False)
    (bathroom,) = samples.private_package(world, date(2026, 3, 2))
    with time_machine.travel("2026-03-23 10:00 +01:00", tick=False):
        html = api_as(people.office).get("/buero/rechnungen/mahnwesen/").content.decode()
        detail = api_as(people.office).get(f"/buero/rechnungen/{progress.pk}/").content.decode()
    held = html.split(f'data-invoice="{progress.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="held">Vertrag widerrufen</span>' in held
    assert "Kein automatisches Mahnen: Das Büro entscheidet." in held
    assert f"/buero/rechnungen/auftrag/{package.pk}/" in held
    ordinary = html.split(f'data-invoice="{bathroom.pk}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="held"' not in ordinary and "Zahlungserinnerung" in ordinary
    assert 'data-testid="held">Vertrag widerrufen</span>' in detail
