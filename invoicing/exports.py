"""Exports for the tax advisor: a DATEV Buchungsstapel (EXTF, format 700, category 21, version
13) and a plain CSV of the invoices, per period and per set of books.

The cooperative's books hold its invoices (series ``RE``) and the self-billing credit notes to its
members (series ``GS``); a member workshop's books hold the invoices it issued itself.

Bookings (Soll/Haben from the view of ``Konto``):

* an invoice: customer's debtor account (``Konto``) debited with the gross amount of each VAT group
  against the revenue account for that group (``Gegenkonto``). Revenue accounts of SKR03/SKR04 are
  automatic accounts (the VAT is split off by DATEV), so no BU key is set. Progress payments
  deducted on a final invoice are credited back against the revenue account of their rate; a
  cancellation is booked with the opposite sign;
* a self-billing credit note: the member's creditor account credited against third-party services
  (Fremdleistungen) — §13b reverse charge on the automatic account for it, 19 %/7 % input tax with
  BU key 9/8, none for a §19 member;
* a payment: bank debited against the debtor; an offset of fee and credit note: creditor debited
  against the member's debtor account;
* a dunning notice, on its date: the debtor debited with its fee against other income (a fee is
  compensation, not a taxable supply) and with the default interest it adds to the notice before
  (each notice states the interest since the default began) against interest income; charges
  the office waived, and those of an invoice cancelled later, credited back.

Accounts are configurable (``INVOICING_DATEV["accounts"]``); the defaults are the usual SKR03 and
SKR04 accounts and should be confirmed with the tax advisor (in particular the 0 % account).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing import dunning, services
from invoicing.models import Dunning, DunningNotice, Invoice, Payment
from invoicing.payments import with_balance
from zunft.core.money import ZERO, round_money

ACCOUNTS = {
    "SKR03": {
        "bank": 1200,
        "revenue_S_19": 8400,
        "revenue_S_7": 8300,
        "revenue_Z_0": 8200,
        "revenue_AE": 8337,
        "revenue_E": 8195,
        "services": 3100,
        "services_AE": 3120,
        "dunning_fees": 2700,
        "default_interest": 2650,
    },
    "SKR04": {
        "bank": 1800,
        "revenue_S_19": 4400,
        "revenue_S_7": 4300,
        "revenue_Z_0": 4200,
        "revenue_AE": 4337,
        "revenue_E": 4185,
        "services": 5900,
        "services_AE": 5920,
        "dunning_fees": 4830,
        "default_interest": 7100,
    },
}
PERSONAL = {"debtor_base": 10000, "member_debtor_base": 60000, "creditor_base": 70000}
INPUT_TAX_KEYS = {Decimal("19.00"): "9", Decimal("7.00"): "8"}

HEADER_FIELDS = 31


def _columns() -> list[str]:
    names = [
        "Umsatz (ohne Soll/Haben-Kz)",
        "Soll/Haben-Kennzeichen",
        "WKZ Umsatz",
        "Kurs",
        "Basis-Umsatz",
        "WKZ Basis-Umsatz",
        "Konto",
        "Gegenkonto (ohne BU-Schlüssel)",
        "BU-Schlüssel",
        "Belegdatum",
        "Belegfeld 1",
        "Belegfeld 2",
        "Skonto",
        "Buchungstext",
        "Postensperre",
        "Diverse Adressnummer",
        "Geschäftspartnerbank",
        "Sachverhalt",
        "Zinssperre",
        "Beleglink",
    ]
    for n in range(1, 9):
        names += [f"Beleginfo - Art {n}", f"Beleginfo - Inhalt {n}"]
    names += [
        "KOST1 - Kostenstelle",
        "KOST2 - Kostenstelle",
        "Kost-Menge",
        "EU-Land u. UStID (Bestimmung)",
        "EU-Steuersatz (Bestimmung)",
        "Abw. Versteuerungsart",
        "Sachverhalt L+L",
        "Funktionsergänzung L+L",
        "BU 49 Hauptfunktionstyp",
        "BU 49 Hauptfunktionsnummer",
        "BU 49 Funktionsergänzung",
    ]
    for n in range(1, 21):
        names += [f"Zusatzinformation - Art {n}", f"Zusatzinformation- Inhalt {n}"]
    names += [
        "Stück",
        "Gewicht",
        "Zahlweise",
        "Forderungsart",
        "Veranlagungsjahr",
        "Zugeordnete Fälligkeit",
        "Skontotyp",
        "Auftragsnummer",
        "Buchungstyp",
        "USt-Schlüssel (Anzahlungen)",
        "EU-Land (Anzahlungen)",
        "Sachverhalt L+L (Anzahlungen)",
        "EU-Steuersatz (Anzahlungen)",
        "Erlöskonto (Anzahlungen)",
        "Herkunft-Kz",
        "Buchungs GUID",
        "KOST-Datum",
        "SEPA-Mandatsreferenz",
        "Skontosperre",
        "Gesellschaftername",
        "Beteiligtennummer",
        "Identifikationsnummer",
        "Zeichnernummer",
        "Postensperre bis",
        "Bezeichnung SoBil-Sachverhalt",
        "Kennzeichen SoBil-Buchung",
        "Festschreibung",
        "Leistungsdatum",
        "Datum Zuord. Steuerperiode",
        "Fälligkeit",
        "Generalumkehr (GU)",
        "Steuersatz",
        "Land",
        "Abrechnungsreferenz",
        "BVV-Position",
        "EU-Land u. UStID (Ursprung)",
        "EU-Steuersatz (Ursprung)",
        "Abw. Skontokonto",
    ]
    return names


COLUMNS = _columns()
INDEX = {name: i for i, name in enumerate(COLUMNS)}
TEXT_COLUMNS = {"Soll/Haben-Kennzeichen", "WKZ Umsatz", "BU-Schlüssel", "Belegfeld 1"}
TEXT_COLUMNS |= {"Belegfeld 2", "Buchungstext", "Beleginfo - Art 1", "Beleginfo - Inhalt 1"}


@dataclass(frozen=True)
class Config:
    consultant: int
    client: int
    chart: str
    account_length: int
    fiscal_year_start_month: int
    locked: bool
    accounts: dict

    @classmethod
    def from_settings(cls) -> Config:
        raw = dict(getattr(settings, "INVOICING_DATEV", {}) or {})
        chart = str(raw.get("chart", "SKR03")).upper()
        if chart not in ACCOUNTS:
            raise ValidationError({"chart": _("The chart of accounts is SKR03 or SKR04.")})
        accounts = {**ACCOUNTS[chart], **PERSONAL, **raw.get("accounts", {})}
        return cls(
            consultant=int(raw.get("consultant", 1001)),
            client=int(raw.get("client", 1)),
            chart=chart,
            account_length=int(raw.get("account_length", 4)),
            fiscal_year_start_month=int(raw.get("fiscal_year_start_month", 1)),
            locked=bool(raw.get("locked", False)),
            accounts=accounts,
        )


def books(issuer: str) -> list[str]:
    """The issuer keys in one set of books: the cooperative keeps its credit notes too."""
    return ["coop", services.CREDIT_NOTE_KEY] if issuer == "coop" else [issuer]


def check_period(start: date, end: date, fiscal_start_month: int = 1) -> date:
    """DATEV takes one batch within one fiscal year; returns the fiscal year's first day."""
    if end < start:
        raise ValidationError({"end": _("The end lies before the start.")})
    year = start.year if start.month >= fiscal_start_month else start.year - 1
    fiscal_start = date(year, fiscal_start_month, 1)
    fiscal_end = date(year + 1, fiscal_start_month, 1)
    if end >= fiscal_end:
        raise ValidationError({"end": _("The period must lie within one fiscal year.")})
    return fiscal_start


def _amount(value: Decimal) -> str:
    return f"{round_money(abs(value)):.2f}".replace(".", ",")


def _text(value: str) -> str:
    return '"' + str(value).replace('"', '""') + '"'


class Batch:
    def __init__(self, config: Config):
        self.config = config
        self.rows: list[list[str]] = []

    def add(self, amount: Decimal, debit: bool, konto, gegenkonto, when: date, **fields):
        if amount == 0:
            return
        if amount < 0:
            debit = not debit
        row = [""] * len(COLUMNS)
        values = {
            "Umsatz (ohne Soll/Haben-Kz)": _amount(amount),
            "Soll/Haben-Kennzeichen": "S" if debit else "H",
            "WKZ Umsatz": "EUR",
            "Konto": str(konto),
            "Gegenkonto (ohne BU-Schlüssel)": str(gegenkonto),
            "Belegdatum": f"{when:%d%m}",
            "Festschreibung": "1" if self.config.locked else "0",
            **fields,
        }
        for name, value in values.items():
            if value in (None, ""):
                continue
            row[INDEX[name]] = _text(value) if name in TEXT_COLUMNS else str(value)
        self.rows.append(row)


def _debtor(invoice: Invoice, accounts: dict) -> int:
    if invoice.customer_id:
        return accounts["debtor_base"] + invoice.customer_id
    fee = getattr(invoice, "settlement_as_fee", None)
    workshop_id = fee.workshop_id if fee else 0
    return accounts["member_debtor_base"] + workshop_id


def _creditor(invoice: Invoice, accounts: dict) -> int:
    credit = getattr(invoice, "settlement_as_credit", None)
    return accounts["creditor_base"] + (credit.workshop_id if credit else 0)


def _revenue_account(category: str, rate: Decimal, accounts: dict) -> int:
    if category in ("AE", "E"):
        return accounts[f"revenue_{category}"]
    return accounts.get(f"revenue_{category}_{int(rate)}", accounts["revenue_S_19"])


def _book_invoice(batch: Batch, invoice: Invoice) -> None:
    acc = batch.config.accounts
    totals = services.invoice_totals(invoice)
    common = {
        "Belegfeld 1": invoice.number[:36],
        "Belegfeld 2": f"{invoice.due_date:%d%m%y}" if invoice.due_date else "",
        "Leistungsdatum": f"{invoice.performance_end:%d%m%Y}",
    }
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        creditor = _creditor(invoice, acc)
        for group in totals.groups:
            account = acc["services_AE"] if group.category == "AE" else acc["services"]
            key = INPUT_TAX_KEYS.get(group.rate, "") if group.category == "S" else ""
            batch.add(
                group.basis + group.tax,
                False,
                creditor,
                account,
                invoice.issue_date,
                **{"BU-Schlüssel": key},
                Buchungstext=f"Gutschrift {invoice.seller_name}"[:60],
                **common,
            )
        return
    debtor = _debtor(invoice, acc)
    text = f"{invoice.document_title} {invoice.buyer_name}"[:60]
    for group in totals.groups:
        batch.add(
            group.basis + group.tax,
            True,
            debtor,
            _revenue_account(group.category, group.rate, acc),
            invoice.issue_date,
            Buchungstext=text,
            **common,
        )
    for deduction in invoice.deductions.all():
        batch.add(
            deduction.gross,
            False,
            debtor,
            _revenue_account("S", deduction.vat_rate, acc),
            invoice.issue_date,
            Buchungstext=f"Abzug Abschlag {deduction.progress_number}"[:60],
            **common,
        )


def _book_payment(batch: Batch, payment: Payment) -> None:
    acc = batch.config.accounts
    invoice = payment.invoice
    common = {"Belegfeld 1": invoice.number[:36]}
    if payment.source == Payment.Source.OFFSET:
        if invoice.kind != Invoice.Kind.CREDIT_NOTE:
            return  # booked once, from the credit note's side
        fee = invoice.settlement_as_credit.fee_invoice
        batch.add(
            payment.amount,
            True,
            _creditor(invoice, acc),
            _debtor(fee, acc),
            payment.booked_on,
            Buchungstext=f"Verrechnung {invoice.number} / {fee.number}"[:60],
            **common,
        )
        return
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        batch.add(
            payment.amount,
            True,
            _creditor(invoice, acc),
            acc["bank"],
            payment.booked_on,
            Buchungstext=f"Auszahlung {invoice.number}"[:60],
            **common,
        )
        return
    # A refund is a negative amount: booked the other way round, bank credited; one the bank
    # returned comes back like a payment.
    text = "Zahlung"
    if payment.source == Payment.Source.REFUND:
        text = "Erstattung" if payment.amount < 0 else "Rücklauf Erstattung"
    batch.add(
        payment.amount,
        True,
        acc["bank"],
        _debtor(invoice, acc),
        payment.booked_on,
        Buchungstext=f"{text} {invoice.number} {payment.payer_name}".strip()[:60],
        **common,
    )


def _book_dunning(batch: Batch, keys: list[str], start: date, end: date) -> None:
    """The dunning charges as claims on the debtor (see the module's description). The notices
    of every invoice concerned are read once."""
    acc = batch.config.accounts
    sent = list(
        DunningNotice.objects.filter(invoice__issuer_key__in=keys, sent_on__range=(start, end))
        .select_related("invoice")
        .order_by("sent_on", "pk")
    )
    waivers = list(
        Dunning.objects.filter(invoice__issuer_key__in=keys, charges_waived_on__range=(start, end))
        .select_related("invoice")
        .order_by("charges_waived_on", "pk")
    )
    # A cancelled invoice owes no charges any more: what was claimed and not waived goes back.
    cancellations = list(
        Invoice.objects.filter(
            issuer_key__in=keys,
            kind=Invoice.Kind.CANCELLATION,
            issue_date__range=(start, end),
            original__dunning_notices__isnull=False,
        )
        .distinct()
        .select_related("original__dunning")
    )
    concerned = {n.invoice_id for n in sent} | {w.invoice_id for w in waivers}
    concerned |= {c.original_id for c in cancellations}
    levels: dict[int, list[DunningNotice]] = {}
    for notice in DunningNotice.objects.filter(invoice_id__in=concerned).order_by("level"):
        levels.setdefault(notice.invoice_id, []).append(notice)

    def post(amount, debit: bool, invoice: Invoice, account: int, when: date, text: str, number):
        batch.add(
            amount,
            debit,
            _debtor(invoice, acc),
            account,
            when,
            Buchungstext=text[:60],
            **{"Belegfeld 1": number[:36]},
        )

    for notice in sent:
        invoice, title = notice.invoice, f"{dunning.TITLES[notice.level]} {notice.invoice.number}"
        before = [n.interest for n in levels[invoice.pk] if n.level < notice.level]
        grown = notice.interest - (before[-1] if before else ZERO)
        post(
            notice.fee,
            True,
            invoice,
            acc["dunning_fees"],
            notice.sent_on,
            f"Mahngebühr {title}",
            invoice.number,
        )
        post(
            grown,
            True,
            invoice,
            acc["default_interest"],
            notice.sent_on,
            f"Verzugszinsen {title}",
            invoice.number,
        )
    for state in waivers:
        invoice = state.invoice
        fees, interest = _waived_parts(levels[invoice.pk], state.charges_waived)
        text = f"Erlass Mahnkosten {invoice.number}"
        post(
            fees, False, invoice, acc["dunning_fees"], state.charges_waived_on, text, invoice.number
        )
        post(
            interest,
            False,
            invoice,
            acc["default_interest"],
            state.charges_waived_on,
            text,
            invoice.number,
        )
    for storno in cancellations:
        original, notices = storno.original, levels[storno.original_id]
        state = getattr(original, "dunning", None)
        waived_fees, waived_interest = _waived_parts(
            notices, state.charges_waived if state else ZERO
        )
        fees = sum(n.fee for n in notices) - waived_fees
        interest = notices[-1].interest - waived_interest
        when, number = storno.issue_date, storno.number
        post(
            fees,
            False,
            original,
            acc["dunning_fees"],
            when,
            f"Storno Mahngebühren {original.number}",
            number,
        )
        post(
            interest,
            False,
            original,
            acc["default_interest"],
            when,
            f"Storno Verzugszinsen {original.number}",
            number,
        )


def _waived_parts(notices: list[DunningNotice], waived: Decimal) -> tuple[Decimal, Decimal]:
    """A waiver split into fees and interest: the interest first (the latest notice states it
    all), then the fees. One rule for the waiver and for a cancellation after it, so each
    account comes out even."""
    latest = notices[-1].interest if notices else ZERO
    interest = min(waived, max(latest, ZERO))
    return waived - interest, interest


def _issued(keys, start, end):
    return (
        Invoice.objects.filter(issuer_key__in=keys, issue_date__range=(start, end))
        .exclude(state=Invoice.State.DRAFT)
        .select_related("settlement_as_credit", "settlement_as_fee")
        .prefetch_related("lines", "deductions")
        .order_by("issue_date", "issuer_key", "sequence")
    )


def datev_batch(issuer: str, start: date, end: date, *, now: datetime | None = None) -> bytes:
    """The EXTF Buchungsstapel of one set of books for ``start``–``end`` (one fiscal year),
    encoded as DATEV expects (Windows-1252, ``;``, CRLF)."""
    config = Config.from_settings()
    fiscal_start = check_period(start, end, config.fiscal_year_start_month)
    batch = Batch(config)
    keys = books(issuer)
    for invoice in _issued(keys, start, end):
        _book_invoice(batch, invoice)
    paid = (
        Payment.objects.filter(invoice__issuer_key__in=keys, booked_on__range=(start, end))
        .select_related("invoice", "invoice__settlement_as_credit__fee_invoice")
        .order_by("booked_on", "pk")
    )
    for payment in paid:
        _book_payment(batch, payment)
    _book_dunning(batch, keys, start, end)
    now = timezone.localtime(now or timezone.now())
    header = [
        _text("EXTF"),
        "700",
        "21",
        _text("Buchungsstapel"),
        "13",
        now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}",
        "",
        _text("RE"),
        _text("Zunft"),
        _text(""),
        str(config.consultant),
        str(config.client),
        f"{fiscal_start:%Y%m%d}",
        str(config.account_length),
        f"{start:%Y%m%d}",
        f"{end:%Y%m%d}",
        # 30 characters at most: the issuer is in the file's name
        _text(f"Rechnungen {start:%d.%m.%y}–{end:%d.%m.%y}"),
        _text(""),
        "1",
        "0",
        "1" if config.locked else "0",
        _text("EUR"),
        "",
        _text(""),
        "",
        "",
        _text(config.chart[-2:]),
        "",
        "",
        _text(""),
        _text(""),
    ]
    assert len(header) == HEADER_FIELDS
    lines = [";".join(header), ";".join(COLUMNS), *(";".join(row) for row in batch.rows)]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252", errors="replace")


CSV_COLUMNS = [
    "Nummer",
    "Art",
    "Datum",
    "Fällig",
    "Leistung von",
    "Leistung bis",
    "Empfänger",
    "Netto",
    "USt",
    "Brutto",
    "Zahlbetrag",
    "Bezahlt",
    "Offen",
    "Status",
    "Bezahlt am",
    # The dunning notices' fees and interest, owed besides "Offen"; "Bezahlt" includes what
    # was paid on them, so Zahlbetrag + Mahnkosten − Bezahlt = Offen + Mahnkosten offen for
    # every invoice still standing. A cancelled invoice and its cancellation owe nothing:
    # "Offen" is then only what is to be refunded (negative).
    "Mahnkosten",
    "Mahnkosten offen",
    # The member a settlement document concerns, which "Empfänger" does not name on its own: the
    # seller of a self-billing credit note (its buyer, the Empfänger, is the cooperative) and the
    # buyer of the cooperative's fee invoice; on their cancellations too. Empty on other rows.
    "Mitgliedsbetrieb",
    "USt-IdNr. Mitgliedsbetrieb",
    "Steuernummer Mitgliedsbetrieb",
]


def _de(value: Decimal) -> str:
    return f"{round_money(value):.2f}".replace(".", ",")


def _fee_settlement(invoice: Invoice):
    """The settlement whose fee invoice this is (or whose fee invoice it cancels), else None."""
    found = getattr(invoice, "settlement_as_fee", None)
    if found is None and invoice.original_id:
        found = getattr(invoice.original, "settlement_as_fee", None)
    return found


def _member(invoice: Invoice) -> list[str]:
    """Name, VAT id and tax number of the member a credit note or fee invoice concerns, as the
    documents state them when issued (the fee invoice does not carry the member's tax number:
    its credit note of the same settlement does)."""
    if invoice.is_self_billed:
        return [invoice.seller_name, invoice.seller_vat_id, invoice.seller_tax_number]
    fee_of = _fee_settlement(invoice)
    if fee_of is None:
        return ["", "", ""]
    return [invoice.buyer_name, invoice.buyer_vat_id, fee_of.credit_note.seller_tax_number]


def invoices_csv(issuer: str, start: date, end: date) -> bytes:
    """One row per document issued in the period (UTF-8 with BOM, ``;``, decimal comma)."""
    if end < start:
        raise ValidationError({"end": _("The end lies before the start.")})
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    documents = _issued(books(issuer), start, end).select_related(
        "settlement_as_fee__credit_note", "original__settlement_as_fee__credit_note"
    )
    for inv in with_balance(documents):
        writer.writerow(
            [
                inv.number,
                inv.document_title,
                f"{inv.issue_date:%d.%m.%Y}",
                f"{inv.due_date:%d.%m.%Y}" if inv.due_date else "",
                f"{inv.performance_start:%d.%m.%Y}",
                f"{inv.performance_end:%d.%m.%Y}",
                inv.buyer_name,
                _de(inv.net_total),
                _de(inv.tax_total),
                _de(inv.gross_total),
                _de(inv.amount_due),
                _de(inv.paid or ZERO),
                _de(inv.open),
                inv.get_state_display(),
                f"{inv.paid_on:%d.%m.%Y}" if inv.paid_on else "",
                _de(inv.charges),
                _de(inv.charges_open),
                *_member(inv),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_file(kind: str, issuer: str, start: date, end: date) -> tuple[str, str, bytes]:
    """The period's books as a file: ``csv`` (the invoice list) or ``datev`` (the booking
    batch); returns (filename, mimetype, content). Raises ValidationError naming ``start`` or
    ``end`` for a period the export cannot take."""
    if kind == "datev":
        name = f"EXTF_Buchungsstapel_{issuer}_{start:%Y%m%d}_{end:%Y%m%d}.csv"
        return name, "text/csv; charset=windows-1252", datev_batch(issuer, start, end)
    name = f"rechnungen_{issuer}_{start:%Y%m%d}_{end:%Y%m%d}.csv"
    return name, "text/csv; charset=utf-8", invoices_csv(issuer, start, end)
