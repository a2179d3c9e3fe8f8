"""Member settlement: credit notes for the members' shares, the fee with VAT, the SEPA payout."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db.models import Sum
from lxml import etree

from invoicing import documents, einvoice, payments, samples, services, settlement, texts
from invoicing.models import Invoice, Settlement, SettlementRun
from tests.invoicing.test_documents import page_png, pdf_text
from zunft.core.money import format_eur

D = Decimal
PAIN = "{urn:iso:std:iso:20022:tech:xsd:pain.001.001.09}"


@pytest.fixture
def paid_bathroom(world, frozen):
    (invoice,) = samples.private_package(world, frozen)
    with time_machine.travel("2026-03-10 12:00 +01:00", tick=False):
        payments.record_payment(invoice, amount=invoice.amount_due, booked_on=date(2026, 3, 10))
    invoice.refresh_from_db()
    assert invoice.state == Invoice.State.PAID
    return invoice


def settle(period=date(2026, 3, 1), day="2026-04-01"):
    with time_machine.travel(f"{day} 09:00 +02:00", tick=False):
        return settlement.settle_month(period)


def test_each_member_gets_a_credit_note_for_the_lines_it_performed(world, paid_bathroom):
    run = settle()
    by_workshop = {s.workshop: s for s in run.settlements.select_related("credit_note")}
    assert set(by_workshop) == {world.sanitaer, world.elektro}
    sanitaer, elektro = by_workshop[world.sanitaer], by_workshop[world.elektro]
    # 20 h × 68 € + 3 × 24 km × 0,90 € + material 1180,40 + 2890 = 6175,20
    assert sanitaer.share_net == D("6175.20")
    assert elektro.share_net == D("750.35")
    # the shares add up to the package invoice
    assert sanitaer.share_net + elektro.share_net == paid_bathroom.net_total
    note = sanitaer.credit_note
    assert note.kind == Invoice.Kind.CREDIT_NOTE and note.type_code == "389"
    assert note.number.startswith("GS-2026-0000")
    assert note.seller_name == "Sanitär Meyer e.K." and note.seller_iban == world.sanitaer.iban
    assert note.buyer_name == world.cooperative.legal_name
    # a member working for the general contractor: reverse charge (§13b UStG)
    assert note.tax_treatment == Invoice.TaxTreatment.REVERSE_CHARGE
    assert note.gross_total == note.net_total == D("6175.20")
    assert any("Gutschrift" in n for n in note.legal_notes)


def test_the_fee_is_invoiced_with_vat_and_offset_against_the_credit_note(world, paid_bathroom):
    run = settle()
    sanitaer = run.settlements.get(workshop=world.sanitaer)
    fee = sanitaer.fee_invoice
    assert fee.number.startswith("RE-2026-") and fee.issuer_key == "coop"
    assert fee.buyer_name == "Sanitär Meyer e.K." and fee.customer is None
    assert (fee.net_total, fee.tax_total, fee.gross_total) == (
        D("494.02"),  # 8 % of 6175.20
        D("93.86"),  # 19 % VAT
        D("587.88"),
    )
    assert fee.state == Invoice.State.PAID  # settled by offset
    assert sanitaer.payout == D("6175.20") - D("587.88") == D("5587.32")
    # what the cooperative still owes on the credit note is exactly the payout
    assert payments.open_amount(sanitaer.credit_note) == sanitaer.payout
    statement = sanitaer.statement
    assert statement["items"][0]["invoice"] == paid_bathroom.number
    assert statement["payout"] == "5587.32"
    assert statement["fee"]["gross"] == "587.88"


def test_the_sepa_file_pays_every_payout_and_parses(world, paid_bathroom):
    run = settle()
    root = etree.fromstring(bytes(run.pain001))
    assert root.tag == f"{PAIN}Document"
    payouts = {s.workshop.iban: s.payout for s in run.settlements.select_related("workshop")}
    header = root.find(f"{PAIN}CstmrCdtTrfInitn/{PAIN}GrpHdr")
    assert header.findtext(f"{PAIN}NbOfTxs") == "2"
    assert D(header.findtext(f"{PAIN}CtrlSum")) == sum(payouts.values()) == D("6266.23")
    found = {}
    for tx in root.iter(f"{PAIN}CdtTrfTxInf"):
        iban = tx.findtext(f"{PAIN}CdtrAcct/{PAIN}Id/{PAIN}IBAN")
        found[iban] = D(tx.findtext(f"{PAIN}Amt/{PAIN}InstdAmt"))
        assert tx.findtext(f"{PAIN}RmtInf/{PAIN}Ustrd").startswith("Gutschrift GS-2026-")
    assert found == payouts
    debtor = root.findtext(f".//{PAIN}DbtrAcct/{PAIN}Id/{PAIN}IBAN")
    assert debtor == world.cooperative.iban


def test_a_month_is_settled_once(world, paid_bathroom):
    first = settle()
    again = settle(day="2026-04-02")
    assert again.pk == first.pk and bytes(again.pain001) == bytes(first.pain001)
    assert Settlement.objects.count() == 2
    assert Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).count() == 2
    # next month has nothing left to settle
    april = settle(period=date(2026, 4, 1), day="2026-05-01")
    assert april.settlements.count() == 0 and bytes(april.pain001) == b""


def test_unpaid_invoices_and_the_running_month_are_not_settled(world, frozen):
    samples.private_package(world, frozen)  # issued, not paid
    run = settle()
    assert run.settlements.count() == 0
    with pytest.raises(ValidationError) as err:
        settle(day="2026-03-31")
    assert "period" in err.value.message_dict
    assert SettlementRun.objects.count() == 1


def test_a_small_business_member_is_credited_without_vat(world, frozen):
    """The cooperative bills a painting job done by the §19 painter; its credit note has no VAT."""
    customer, site = samples.private_customer()
    package = samples._package(
        customer,
        site,
        "Treppenhaus streichen",
        frozen,
        [("streichen", "Treppenhaus streichen", world.trades["maler"], "10", "120.00")],
    )
    from invoicing import services

    painted = services.issue_invoice(
        services.generate_package_invoice(
            package, billings=samples._billings(package, world, frozen)
        ),
        issue_date=frozen,
    )
    with time_machine.travel("2026-03-10 12:00 +01:00", tick=False):
        payments.record_payment(painted, amount=painted.amount_due, booked_on=date(2026, 3, 10))
    run = settle()
    maler = run.settlements.get(workshop=world.maler)
    assert maler.credit_note.tax_treatment == Invoice.TaxTreatment.SMALL_BUSINESS
    assert maler.credit_note.tax_total == 0
    assert maler.share_net == painted.net_total


def test_a_member_reads_its_own_settlements_and_their_documents(
    world, paid_bathroom, client, django_user_model
):
    """Month-end for a member: the credit note, the fee, the payout and the invoices paid, with
    the documents, on a page of its own (it was API-only). Never another member's."""
    from tests import factories as f

    run = settle()
    mine = run.settlements.select_related("credit_note").get(workshop=world.sanitaer)
    theirs = run.settlements.select_related("credit_note").get(workshop=world.elektro)
    owner = django_user_model.objects.create_user("meyer", role="workshop_admin")
    world.sanitaer.admins.add(owner)
    with time_machine.travel("2026-04-01 10:00 +02:00", tick=False):
        client.force_login(owner)
        page = client.get("/betrieb/abrechnungen/")
        assert page.status_code == 200
        text = page.content.decode()
        assert mine.credit_note.number in text and mine.fee_invoice.number in text
        assert "5.587,32 €" in text and "April 2026" not in text and "März 2026" in text
        assert paid_bathroom.number in text
        assert theirs.credit_note.number not in text
        pdf = client.get(f"/api/v1/invoices/{mine.credit_note_id}/pdf")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert client.get(f"/api/v1/invoices/{theirs.credit_note_id}/pdf").status_code == 404
        # the fee invoice as e-invoice XML too, for the member's own books
        fee_xml = f"/api/v1/invoices/{mine.fee_invoice_id}/xml"
        assert f'href="{fee_xml}" data-testid="fee-xml"' in text
        assert client.get(fee_xml).status_code == 200

        # A member without a settlement yet is told when one comes.
        newcomer = f.WorkshopFactory(name="Neu")
        fresh = django_user_model.objects.create_user("neu", role="workshop_admin")
        newcomer.admins.add(fresh)
        client.force_login(fresh)
        empty = client.get("/betrieb/abrechnungen/").content.decode()
        assert "Noch keine Abrechnung" in empty and mine.credit_note.number not in empty

        homeowner = django_user_model.objects.create_user("kundin", role="homeowner")
        client.force_login(homeowner)
        assert client.get("/betrieb/abrechnungen/").status_code == 403
        client.logout()
        assert client.get("/betrieb/abrechnungen/")["Location"].startswith("/monteur/anmelden/")


def girocodes(pdf: bytes, tmp_path) -> list:
    import zxingcpp

    return zxingcpp.read_barcodes(page_png(pdf, tmp_path))


def test_the_offset_fee_invoice_asks_for_no_transfer(world, paid_bathroom, tmp_path):
    """The fee is settled by offsetting it against the credit note: its terms say so, and its PDF
    has neither the ordinary terms nor a GiroCode, so no member pays it twice."""
    run = settle()
    sanitaer = run.settlements.select_related("credit_note", "fee_invoice").get(
        workshop=world.sanitaer
    )
    fee = sanitaer.fee_invoice
    offset = texts.FEE_OFFSET_NOTICE.format(number=sanitaer.credit_note.number)
    assert fee.legal_notes[-1] == offset  # the payment terms, in the XML as well
    assert offset not in fee.introduction and "Verbundgebühr" in fee.introduction
    assert not services.asks_for_transfer(fee)
    assert services.asks_for_transfer(paid_bathroom)  # an ordinary invoice still does
    pdf = documents.build_pdf(fee)
    text = " ".join(pdf_text(pdf).split())
    assert offset in text and text.count("verrechnet; bitte nicht überweisen") == 1
    assert "Zahlbar ohne Abzug" not in text and "Bequem bezahlen" not in text
    assert girocodes(pdf, tmp_path) == []
    # Nor does its e-invoice: clearing between partners, no account to pay to.
    root = etree.fromstring(einvoice.render_xml(fee, "factur-x"))
    means = root.find(".//{*}SpecifiedTradeSettlementPaymentMeans")
    assert means.find("{*}TypeCode").text == "97"
    assert means.find(".//{*}IBANID") is None
    ordinary = etree.fromstring(einvoice.render_xml(paid_bathroom, "factur-x"))
    assert ordinary.find(".//{*}SpecifiedTradeSettlementPaymentMeans/{*}TypeCode").text == "58"


def test_a_credit_note_taken_back_is_the_cooperatives_letter_too(world, paid_bathroom):
    """The cancellation of a credit note (same GS series) comes from the cooperative like the
    note itself, and asks the member to let it be offset, not the cooperative to expect money."""
    run = settle()
    note = run.settlements.select_related("credit_note").get(workshop=world.sanitaer).credit_note
    with time_machine.travel("2026-04-02 09:00 +02:00", tick=False):
        storno = services.cancel_invoice(note)
    assert storno.is_self_billed and storno.number.startswith("GS-")
    assert storno.legal_notes[-1] == texts.CREDIT_NOTE_REVERSAL
    text = " ".join(pdf_text(documents.build_pdf(storno)).split())
    coop = world.cooperative.legal_name
    assert text.startswith(coop) and "Ausgestellt von: " + coop in text
    assert "erstattet" not in text and "Bequem bezahlen" not in text


def test_the_credit_note_is_a_letter_from_the_cooperative_to_the_member(
    world, paid_bathroom, tmp_path
):
    """The cooperative issues the self-billing credit note (§14 Abs. 2 Satz 2 UStG): its
    letterhead and sender line, the member in the address window with its tax ids, the member's
    account for the payout; no GiroCode, no empty customer number. The XML's seller stays the
    member (EN 16931 type 389)."""
    run = settle()
    note = run.settlements.select_related("credit_note").get(workshop=world.sanitaer).credit_note
    coop = world.cooperative.legal_name
    pdf = documents.build_pdf(note)
    lines = pdf_text(pdf).splitlines()
    assert lines[0] == coop  # the letterhead
    text = "\n".join(lines)
    assert "Sanitär Meyer e.K.\nMaren Meyer\nHauptstraße 1\n26169 Friesoythe" in text
    flat = " ".join(text.split())
    assert f"{coop} · {world.cooperative.street} · " in flat  # the sender line
    assert f"Ihre USt-IdNr. {note.seller_vat_id}" in flat
    assert f"Ausgestellt von: {coop}" in flat
    assert "Auszahlung auf: Sanitär Meyer e.K. · IBAN DE89 3704 0044 0532 0130 00" in flat
    assert "Gutschriftsbetrag 6.175,20 €" in flat
    for absent in ("Kundennummer", "Bequem bezahlen", "Zahlbar ohne Abzug", "Rechnungsbetrag"):
        assert absent not in flat, absent
    assert girocodes(pdf, tmp_path) == []
    xml = einvoice.render_xml(note, "factur-x")
    assert xml.count(b"<ram:Name>Sanit\xc3\xa4r Meyer e.K.</ram:Name>") == 1
    seller = etree.fromstring(xml).find(".//{*}SellerTradeParty/{*}Name")
    assert seller.text == "Sanitär Meyer e.K."


def test_the_fee_line_uses_german_number_formats(world, paid_bathroom):
    run = settle()
    sanitaer = run.settlements.select_related("credit_note", "fee_invoice").get(
        workshop=world.sanitaer
    )
    (line,) = sanitaer.fee_invoice.lines.all()
    assert line.text == "Verbundgebühr 8,00 % auf Ihre Leistungen 03/2026"
    assert line.detail == (
        f"Bemessungsgrundlage 6.175,20 € netto (Gutschrift {sanitaer.credit_note.number})"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1999-01", "Monate vor Januar 2000 werden nicht abgerechnet: bitte das Jahr prüfen."),
        ("2026-13", "Einen Monat 13 gibt es nicht: bitte 01 bis 12 angeben."),
        ("2026-00", "Einen Monat 00 gibt es nicht: bitte 01 bis 12 angeben."),
        ("März", "Der Monat ist im Format JJJJ-MM anzugeben, z. B. 2026-03."),
        ("2026-03-01", "Der Monat ist im Format JJJJ-MM anzugeben, z. B. 2026-03."),
    ],
)
def test_parse_period_says_what_is_wrong_with_a_month(value, message):
    with pytest.raises(ValidationError) as err:
        settlement.parse_period(value)
    assert err.value.message_dict == {"period": [message]}


def test_a_month_before_2000_is_refused_as_such_by_the_month_end_api(
    world, api_as, django_user_model
):
    from zunft.core.models import Operation

    assert settlement.parse_period("2026-03") == date(2026, 3, 1)
    with time_machine.travel("2026-04-01 09:00 +02:00", tick=False):
        office = api_as(django_user_model.objects.create_user("olga", role="office"))
        refused = office.post("/api/v1/month-end", {"period": "1999-01"}, "application/json")
    assert refused.status_code == 422
    assert refused.json()["detail"] == [
        {
            "loc": ["body", "period"],
            "msg": "Monate vor Januar 2000 werden nicht abgerechnet: bitte das Jahr prüfen.",
        }
    ]
    assert not Operation.objects.exists() and not SettlementRun.objects.exists()


def test_shares_of_an_invoice_cancelled_after_payout_are_taken_back_from_the_next(
    world, paid_bathroom, client, django_user_model
):
    """Paid, settled in March, cancelled in April: each member's share comes off its next
    credit note, the fee follows the smaller share, and a member whose new shares do not cover
    it is credited no negative month: the reclaim waits, listed as open."""
    from invoicing import validation

    settle()
    with time_machine.travel("2026-04-02 09:00 +02:00", tick=False):
        storno = services.cancel_invoice(paid_bathroom)
    with time_machine.travel("2026-04-10 12:00 +02:00", tick=False):
        (new,) = samples.reverse_charge(world, date(2026, 4, 10))  # plumbing only
        payments.record_payment(new, amount=new.amount_due, booked_on=date(2026, 4, 10))
    open_before = settlement.open_reclaims(date(2026, 4, 30))
    assert {w: [r["net"] for r in rows] for w, rows in open_before.items()} == {
        world.sanitaer.pk: [D("-6175.20")],
        world.elektro.pk: [D("-750.35")],
    }

    april = settle(period=date(2026, 4, 1), day="2026-05-01")
    (plumbing,) = april.settlements.select_related("credit_note", "fee_invoice")
    assert plumbing.workshop == world.sanitaer
    new_share = new.lines.filter(performed_by=world.sanitaer).aggregate(s=Sum("net_amount"))["s"]
    assert plumbing.share_net == new_share - D("6175.20") > 0
    note = plumbing.credit_note
    reclaim = note.lines.get(quantity=-1)
    assert reclaim.net_amount == D("-6175.20") and reclaim.unit_price == D("6175.20")
    assert reclaim.text.startswith(f"Rückforderung Anteil an Rechnung {paid_bathroom.number}")
    assert storno.number in reclaim.detail
    assert "verrechnen wir" in note.introduction
    assert note.net_total == plumbing.share_net
    assert plumbing.fee_invoice.net_total == (plumbing.share_net * D("0.08")).quantize(D("0.01"))
    assert plumbing.statement["items"][1]["reclaims"] == paid_bathroom.number
    report = validation.validate(einvoice.render_xml(note, "factur-x"))
    assert report.ok, str(report)
    # The plumber's own page says what was taken back and counts only the invoice paid.
    owner = django_user_model.objects.create_user("meyer", role="workshop_admin")
    world.sanitaer.admins.add(owner)
    with time_machine.travel("2026-05-01 10:00 +02:00", tick=False):
        client.force_login(owner)
        text = client.get("/betrieb/abrechnungen/").content.decode()
    april_card = (
        text.split(note.number, 1)[0].rsplit("<article", 1)[-1]
        + text.split(note.number, 1)[1].split("</article>", 1)[0]
    )
    assert "1 bezahlte Kundenrechnung" in april_card
    assert f"Zurückgefordert: Ihr bereits ausgezahlter Anteil an {paid_bathroom.number}" in (
        april_card
    )
    # Electrics had no work in April: nothing credited, its reclaim still open; plumbing's is
    # taken once.
    left = settlement.open_reclaims(date(2026, 5, 31))
    assert {w: [r["net"] for r in rows] for w, rows in left.items()} == {
        world.elektro.pk: [D("-750.35")]
    }


def test_a_reclaim_larger_than_a_months_shares_is_taken_in_parts(
    world, paid_bathroom, client, django_user_model
):
    """The electrician's 750,35 € is more than a small job a month brings: each month takes what
    the new shares cover, at the same VAT rate, until it is back; the month never goes negative."""
    settle()
    with time_machine.travel("2026-04-02 09:00 +02:00", tick=False):
        services.cancel_invoice(paid_bathroom)
    rows = [{"vat_rate": D("19.00"), "net": D("500.00")}, {"vat_rate": D("7.00"), "net": D("90")}]
    (reclaim,) = settlement.open_reclaims(date(2026, 4, 30))[world.elektro.pk]
    # With VAT on the credit note: only the 19 % share covers it; without, the whole net does.
    (part,) = settlement.covered(rows, [reclaim], by_rate=True)
    assert part["net"] == D("-500.00")
    (pooled,) = settlement.covered(rows, [reclaim], by_rate=False)
    assert pooled["net"] == D("-590.00")
    assert settlement.covered([], [reclaim], by_rate=False) == []

    def small_job(day: str):
        with time_machine.travel(f"{day} 12:00 +02:00", tick=False):
            (kitchen,) = samples.coordinated_package(world, date.fromisoformat(day))
            payments.record_payment(
                kitchen, amount=kitchen.amount_due, booked_on=date.fromisoformat(day)
            )

    small_job("2026-04-14")
    april = settle(period=date(2026, 4, 1), day="2026-05-01")
    electrics = april.settlements.get(workshop=world.elektro)
    assert electrics.share_net == 0 and electrics.payout == 0  # all of it went to the reclaim
    assert electrics.credit_note.state == Invoice.State.PAID  # settled: not left open forever
    taken = -electrics.credit_note.lines.get(quantity=-1).net_amount
    (rest,) = settlement.open_reclaims(date(2026, 5, 31))[world.elektro.pk]
    assert rest["net"] == -(D("750.35") - taken) < 0
    # The electrician's page: the March invoice set off in part, the rest with the next.
    owner = django_user_model.objects.create_user("strom", role="workshop_admin")
    world.elektro.admins.add(owner)
    march_note = Settlement.objects.get(run__period=date(2026, 3, 1), workshop=world.elektro)
    with time_machine.travel("2026-05-02 10:00 +02:00", tick=False):
        client.force_login(owner)
        text = client.get("/betrieb/abrechnungen/").content.decode()
    assert (
        f"storniert am 02.04.2026, zum Teil verrechnet mit Gutschrift "
        f"{electrics.credit_note.number}; {format_eur(-rest['net'])} mit der nächsten"
    ) in _card(text, march_note.credit_note.number)
    small_job("2026-05-12")
    may = settle(period=date(2026, 5, 1), day="2026-06-01")
    assert may.settlements.get(workshop=world.elektro).share_net > 0  # the rest is back
    assert world.elektro.pk not in settlement.open_reclaims(date(2026, 6, 30))


def _card(text: str, number: str) -> str:
    """The settlement card (article) on the page that holds ``number``."""
    before, after = text.split(number, 1)
    return before.rsplit("<article", 1)[-1] + number + after.split("</article>", 1)[0]


def test_an_owner_sees_a_claw_back_coming_and_what_the_next_run_credits(
    world, paid_bathroom, client, django_user_model
):
    """Settled in March, cancelled in April: the plumber's page says so on the March invoice,
    lists the share to be taken back, and what customers paid since that the next run credits;
    once deducted, the March invoice names the credit note that took it back. The electrician
    sees only its own reclaim; another member and the workshop's tradespeople see nothing."""
    from tests import factories as f

    march = settle()
    with time_machine.travel("2026-04-02 09:00 +02:00", tick=False):
        services.cancel_invoice(paid_bathroom)
    with time_machine.travel("2026-04-10 12:00 +02:00", tick=False):
        (new,) = samples.reverse_charge(world, date(2026, 4, 10))  # plumbing only
        payments.record_payment(new, amount=new.amount_due, booked_on=date(2026, 4, 10))
    new_share = new.lines.filter(performed_by=world.sanitaer).aggregate(s=Sum("net_amount"))["s"]
    plumber = django_user_model.objects.create_user("meyer", role="workshop_admin")
    world.sanitaer.admins.add(plumber)
    electrician = django_user_model.objects.create_user("strom", role="workshop_admin")
    world.elektro.admins.add(electrician)
    other = django_user_model.objects.create_user("neu", role="workshop_admin")
    f.WorkshopFactory(name="Neu").admins.add(other)
    fitter = django_user_model.objects.create_user("monteur", role="tradesperson")
    f.WorkerFactory(workshop=world.sanitaer, user=fitter)
    march_note = march.settlements.get(workshop=world.sanitaer).credit_note.number

    def page(user, day="2026-04-15"):
        with time_machine.travel(f"{day} 10:00 +02:00", tick=False):
            client.force_login(user)
            return client.get("/betrieb/abrechnungen/")

    text = page(plumber).content.decode()
    reclaims = text.split('data-testid="open-reclaims"', 1)[1].split("</section>", 1)[0]
    assert paid_bathroom.number in reclaims and "− 6.175,20 €" in reclaims
    assert "storniert am 02.04.2026, wird von Ihrer nächsten Gutschrift abgezogen" in reclaims
    coming = text.split('data-testid="coming-shares"', 1)[1].split("</section>", 1)[0]
    assert new.number in coming and "bezahlt am 10.04.2026" in coming
    assert format_eur(new_share) in coming
    assert paid_bathroom.number not in coming  # paid out already, nothing more to come
    march_card = _card(text, march_note)
    assert "storniert am 02.04.2026, wird mit der nächsten Gutschrift verrechnet" in march_card

    # The electrician: its own share of the cancelled invoice, none of the plumber's.
    theirs = page(electrician).content.decode()
    assert "− 750,35 €" in theirs and "6.175,20" not in theirs
    assert new.number not in theirs
    # Another member sees none of it; the workshop's tradespeople not the money.
    outsider = page(other).content.decode()
    assert paid_bathroom.number not in outsider and new.number not in outsider
    assert 'data-testid="open-reclaims"' not in outsider
    assert page(fitter).status_code == 403

    april = settle(period=date(2026, 4, 1), day="2026-05-01")
    april_note = april.settlements.get(workshop=world.sanitaer).credit_note.number
    text = page(plumber, day="2026-05-02").content.decode()
    assert 'data-testid="open-reclaims"' not in text and 'data-testid="coming-shares"' not in text
    assert f"storniert am 02.04.2026, verrechnet mit Gutschrift {april_note}" in _card(
        text, march_note
    )
