"""The invoice as a PDF/A-3 business letter (DIN 5008 form B) with the e-invoice XML embedded.

Layout: letterhead, address window (20 mm from the left, 45 mm from the top, return line in the
top zone), information block at 125 mm, subject line, a positions table that breaks across pages
with the running net total carried over ("Übertrag"), totals with the VAT per rate, deducted
progress payments, the legal notes, and a GiroCode (EPC QR) for the open amount when the invoice
asks for a transfer. Every page has the footer with the seller's registration and bank data and
"Seite x von y". The only font is DejaVu (TrueType, embedded as a subset), as PDF/A requires.

A self-billing credit note (Gutschrift) is the member's invoice issued by the cooperative, its
buyer (§14 Abs. 2 Satz 2 UStG): the letter comes from the cooperative and goes to the member, and
the member's bank account is where the payout goes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import segno
from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

from customers.models import Customer
from invoicing.models import Invoice
from invoicing.services import Totals, asks_for_transfer, invoice_totals
from zunft.core.money import format_eur, format_quantity
from zunft.core.units import unit_label

FONT_DIR = Path(settings.INVOICING_FONT_DIR)
FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
WIDTH, HEIGHT = A4
LEFT, RIGHT = 25 * mm, WIDTH - 20 * mm
BODY_BOTTOM = 36 * mm
GREY = colors.Color(0.35, 0.35, 0.35)
RULE = colors.Color(0.75, 0.75, 0.75)

# positions table: (title, right edge in mm from the left page edge, alignment)
COLUMNS = [
    ("Pos.", 33, TA_LEFT),
    ("Leistung", 107, TA_LEFT),  # leaves the unit room for "pauschal" before a 6-digit price
    ("Menge", 123, TA_RIGHT),
    ("Einheit", 132, TA_LEFT),
    ("Einzelpreis", 160, TA_RIGHT),
    ("USt", 171, TA_RIGHT),
    ("Betrag", 190, TA_RIGHT),
]


@cache
def register_fonts() -> None:
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)


def _style(size=9, leading=None, bold=False, align=TA_LEFT, color=colors.black):
    return ParagraphStyle(
        "s",
        fontName=BOLD if bold else FONT,
        fontSize=size,
        leading=leading or size * 1.3,
        alignment=align,
        textColor=color,
    )


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _date(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def transfer_reference(invoice: Invoice) -> str:
    """The remittance text a transfer for the invoice carries (matched on the bank statement)."""
    return f"Rechnung {invoice.number}"


def epc_payload(invoice: Invoice, amount) -> str | None:
    """The GiroCode (EPC069-12, version 002, UTF-8) for a transfer of ``amount`` to the seller,
    with the invoice number as remittance text. None when nothing is to be paid."""
    if amount is None or amount <= 0 or amount > 999_999_999:
        return None
    return "\n".join(
        [
            "BCD",
            "002",
            "1",
            "SCT",
            invoice.seller_bic,
            invoice.seller_name[:70],
            invoice.seller_iban,
            f"EUR{amount:.2f}",
            "",
            "",
            transfer_reference(invoice)[:140],
        ]
    )


class NumberedCanvas(canvas.Canvas):
    """Defers "Seite x von y" until the number of pages is known."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont(FONT, 7.5)
            self.setFillColor(GREY)
            self.drawRightString(RIGHT, 29 * mm, f"Seite {number} von {total}")
            super().showPage()
        super().save()


@dataclass(frozen=True)
class Party:
    name: str
    street: str
    postal_code: str
    city: str
    email: str = ""
    phone: str = ""
    attention: str = ""
    country: str = "DE"


def parties(invoice: Invoice) -> tuple[Party, Party]:
    """Who sends the letter (letterhead, sender line) and who receives it (address window): the
    seller and the buyer, but the other way round for a self-billing credit note, which its buyer,
    the cooperative, issues to the seller, the member."""
    seller = Party(
        invoice.seller_name,
        invoice.seller_street,
        invoice.seller_postal_code,
        invoice.seller_city,
        invoice.seller_email,
        invoice.seller_phone,
        invoice.seller_contact,
        invoice.seller_country,
    )
    buyer = Party(
        invoice.buyer_name,
        invoice.buyer_street,
        invoice.buyer_postal_code,
        invoice.buyer_city,
        invoice.buyer_email,
        attention=invoice.buyer_attention,
        country=invoice.buyer_country,
    )
    if invoice.is_self_billed:
        return buyer, seller
    return seller, buyer


@dataclass
class Rendered:
    filename: str
    mimetype: str
    content: bytes


class InvoiceRenderer:
    """Draws one issued invoice. ``render()`` returns the plain PDF (before PDF/A-3 embedding)."""

    def __init__(self, invoice: Invoice, *, open_amount=None):
        register_fonts()
        self.invoice = invoice
        self.totals: Totals = invoice_totals(invoice)
        self.open_amount = invoice.amount_due if open_amount is None else open_amount
        self.sender, self.recipient = parties(invoice)
        self.self_billed = invoice.is_self_billed  # the cooperative's letter to the member
        self.page = 1
        self.carried = None

    # -- page furniture ------------------------------------------------------------------------

    def _fold_marks(self, c):
        c.setStrokeColor(RULE)
        c.setLineWidth(0.4)
        for y in (105, 210):
            c.line(3 * mm, HEIGHT - y * mm, 8 * mm, HEIGHT - y * mm)
        c.line(3 * mm, HEIGHT - 148.5 * mm, 10 * mm, HEIGHT - 148.5 * mm)

    def _footer(self, c):
        inv = self.invoice
        c.setStrokeColor(RULE)
        c.setLineWidth(0.5)
        c.line(LEFT, 25 * mm, RIGHT, 25 * mm)
        tax = []
        if inv.seller_vat_id:
            tax.append(f"USt-IdNr.: {inv.seller_vat_id}")
        if inv.seller_tax_number:
            tax.append(f"Steuernummer: {inv.seller_tax_number}")
        columns = [
            [inv.seller_name, inv.seller_street, f"{inv.seller_postal_code} {inv.seller_city}"],
            [*tax, inv.seller_register] if inv.seller_register else tax,
            [
                inv.seller_bank or "Bankverbindung",
                f"IBAN: {_format_iban(inv.seller_iban)}",
                f"BIC: {inv.seller_bic}" if inv.seller_bic else "",
            ],
        ]
        if self.self_billed:
            # The cooperative issues it; the member's tax ids are in the information block.
            columns[:2] = [
                [
                    f"Ausgestellt von: {inv.buyer_name}",
                    inv.buyer_street,
                    f"{inv.buyer_postal_code} {inv.buyer_city}",
                ],
                [f"USt-IdNr.: {inv.buyer_vat_id}" if inv.buyer_vat_id else "", inv.buyer_email],
            ]
            if inv.kind == Invoice.Kind.CREDIT_NOTE:
                columns[2][0] = "Auszahlung auf"
        xs = [LEFT, LEFT + 55 * mm, LEFT + 112 * mm]
        widths = [53 * mm, 55 * mm, 53 * mm]
        for x, width, lines in zip(xs, widths, columns, strict=True):
            text = "<br/>".join(_esc(line) for line in lines if line)
            para = Paragraph(text, _style(6.5, 8.5, color=GREY))
            _, h = para.wrap(width, 20 * mm)
            para.drawOn(c, x, 22 * mm - h)

    def _letterhead(self, c):
        sender = self.sender
        c.setFillColor(colors.black)
        c.setFont(BOLD, 13)
        c.drawRightString(RIGHT, HEIGHT - 20 * mm, sender.name)
        c.setFont(FONT, 8)
        c.setFillColor(GREY)
        contact = " · ".join(
            part
            for part in (
                f"{sender.street}, {sender.postal_code} {sender.city}",
                f"Tel. {sender.phone}" if sender.phone else "",
                sender.email,
            )
            if part
        )
        c.drawRightString(RIGHT, HEIGHT - 25 * mm, contact)
        c.setStrokeColor(RULE)
        c.line(LEFT, HEIGHT - 29 * mm, RIGHT, HEIGHT - 29 * mm)

    def _address_window(self, c):
        frm, to = self.sender, self.recipient
        sender = f"{frm.name} · {frm.street} · {frm.postal_code} {frm.city}"
        size = 6.5
        while size > 5 and c.stringWidth(sender, FONT, size) > 80 * mm:
            size -= 0.25
        while c.stringWidth(sender, FONT, size) > 80 * mm:
            sender = sender[:-2] + "…"
        c.setFont(FONT, size)
        c.setFillColor(GREY)
        c.drawString(LEFT, HEIGHT - 59 * mm, sender)
        c.setStrokeColor(GREY)
        c.setLineWidth(0.3)
        width = c.stringWidth(sender, FONT, size)
        c.line(LEFT, HEIGHT - 59.8 * mm, LEFT + width, HEIGHT - 59.8 * mm)
        lines = [to.name]
        if to.attention:
            lines.append(to.attention)
        lines += [to.street, f"{to.postal_code} {to.city}"]
        if to.country and to.country != "DE":
            lines.append(to.country)
        c.setFillColor(colors.black)
        y = HEIGHT - 67 * mm
        for index, line in enumerate(lines):
            c.setFont(FONT, 10)
            c.drawString(LEFT, y - index * 4.6 * mm, line[:60])

    def _info_block(self, c):
        inv = self.invoice
        rows = [
            (
                "Gutschrift-Nr." if inv.kind == Invoice.Kind.CREDIT_NOTE else "Rechnungsnummer",
                inv.number,
            ),
            ("Datum", _date(inv.issue_date)),
        ]
        if self.self_billed:
            # "Ihre" is the member, the seller: §14 Abs. 4 Nr. 2 UStG wants its tax ids.
            rows += [
                ("Ihre USt-IdNr.", inv.seller_vat_id),
                ("Ihre Steuernummer", inv.seller_tax_number),
            ]
        else:
            rows += [
                ("Kundennummer", inv.customer_number),
                ("Leitweg-ID", inv.buyer_reference),
                ("Ihre USt-IdNr.", inv.buyer_vat_id),
            ]
        if inv.performance_start == inv.performance_end:
            rows.append(("Leistungsdatum", _date(inv.performance_start)))
        else:
            rows.append(
                (
                    "Leistungszeitraum",
                    f"{_date(inv.performance_start)} – {_date(inv.performance_end)}",
                )
            )
        if inv.original_id:
            rows.append(
                ("zur Rechnung", f"{inv.original.number} vom {_date(inv.original.issue_date)}")
            )
        if not self.self_billed:  # there the seller's contact is the member's owner
            rows.append(("Ansprechpartner", inv.seller_contact))
        rows = [row for row in rows if row[1]]  # no empty rows (no customer number, …)
        x, y = 125 * mm, HEIGHT - 52 * mm
        for index, (label, value) in enumerate(rows):
            c.setFont(FONT, 8)
            c.setFillColor(GREY)
            c.drawString(x, y, label)
            c.setFillColor(colors.black)
            c.setFont(BOLD if index == 0 else FONT, 8)
            c.drawString(x + 29 * mm, y, value[:40])
            y -= 4.2 * mm

    def _later_header(self, c):
        inv = self.invoice
        c.setFont(BOLD, 9)
        c.setFillColor(colors.black)
        c.drawString(LEFT, HEIGHT - 18 * mm, self.sender.name)
        c.setFont(FONT, 8)
        c.drawRightString(
            RIGHT,
            HEIGHT - 18 * mm,
            f"{inv.document_title} {inv.number} vom {_date(inv.issue_date)}",
        )
        c.setStrokeColor(RULE)
        c.line(LEFT, HEIGHT - 20.5 * mm, RIGHT, HEIGHT - 20.5 * mm)

    # -- flow ----------------------------------------------------------------------------------

    def _new_page(self, c):
        """Close the page with the carried total and open the next one with it."""
        if self.carried is not None:
            self._carry_row(c, f"Übertrag auf Seite {self.page + 1}")
        self._footer(c)
        self._fold_marks(c)
        c.showPage()
        self.page += 1
        self._later_header(c)
        self.y = HEIGHT - 30 * mm
        if self.carried is not None:
            self._table_header(c)
            self._carry_row(c, f"Übertrag von Seite {self.page - 1}")

    def _need(self, c, height, reserve=0.0):
        if self.y - height < BODY_BOTTOM + reserve:
            self._new_page(c)

    def _carry_row(self, c, label):
        c.setFont(BOLD, 8.5)
        c.setFillColor(colors.black)
        self.y -= 5 * mm
        c.drawString(mm * 35, self.y, label)
        c.drawRightString(RIGHT, self.y, format_eur(self.carried))
        c.setStrokeColor(RULE)
        c.line(LEFT, self.y - 1.8 * mm, RIGHT, self.y - 1.8 * mm)
        self.y -= 3 * mm

    def _table_header(self, c):
        c.setFillColor(colors.Color(0.93, 0.93, 0.93))
        c.rect(LEFT, self.y - 6 * mm, RIGHT - LEFT, 6 * mm, stroke=0, fill=1)
        c.setFillColor(colors.black)
        c.setFont(BOLD, 8)
        left = LEFT + 1.5 * mm
        for title, right, align in COLUMNS:
            if align == TA_RIGHT:
                c.drawRightString(right * mm - 1 * mm, self.y - 4.2 * mm, title)
            else:
                c.drawString(left, self.y - 4.2 * mm, title)
            left = right * mm + 1 * mm
        self.y -= 6 * mm

    def _row(self, c, line):
        text = f"<b>{_esc(line.text)}</b>"
        if line.detail:
            text += f"<br/><font color='#595959' size='7.5'>{_esc(line.detail)}</font>"
        para = Paragraph(text, _style(8.5, 10.5))
        _, height = para.wrap((107 - 34) * mm, 100 * mm)
        height += 3 * mm
        self._need(c, height, reserve=10 * mm)
        top = self.y - 1.5 * mm
        para.drawOn(c, 34 * mm, top - para.height)
        baseline = top - 8.5
        c.setFont(FONT, 8.5)
        c.setFillColor(colors.black)
        c.drawString(LEFT + 1.5 * mm, baseline, str(line.position))
        c.drawRightString(122 * mm, baseline, format_quantity(line.quantity))
        c.drawString(124 * mm, baseline, unit_label(line.unit, "de"))
        c.drawRightString(159 * mm, baseline, format_eur(line.unit_price))
        rate = "–" if line.tax_category in ("AE", "E") else f"{line.vat_rate:.0f} %"
        c.drawRightString(170 * mm, baseline, rate)
        c.drawRightString(RIGHT - 1 * mm, baseline, format_eur(line.net_amount))
        self.y -= height
        c.setStrokeColor(colors.Color(0.88, 0.88, 0.88))
        c.setLineWidth(0.3)
        c.line(LEFT, self.y, RIGHT, self.y)
        self.carried += line.net_amount

    def _sum_row(self, c, label, amount, *, bold=False, rule=False):
        self._need(c, 5.5 * mm)
        if rule:
            c.setStrokeColor(colors.black)
            c.setLineWidth(0.6)
            c.line(115 * mm, self.y - 1 * mm, RIGHT, self.y - 1 * mm)
            self.y -= 1 * mm
        self.y -= 4.6 * mm
        c.setFont(BOLD if bold else FONT, 9 if bold else 8.5)
        c.setFillColor(colors.black)
        c.drawRightString(159 * mm, self.y, label)
        c.drawRightString(RIGHT - 1 * mm, self.y, format_eur(amount))

    def _totals(self, c):
        inv, totals = self.invoice, self.totals
        self.carried = None  # from here on no carry rows
        self._need(c, (len(totals.groups) + 3) * 5.5 * mm)
        self.y -= 2 * mm
        self._sum_row(c, "Summe netto", totals.amount.net)
        for group in totals.groups:
            if group.category in ("AE", "E"):
                label = "USt 0 % (§ 13b UStG)" if group.category == "AE" else "USt 0 % (§ 19 UStG)"
            else:
                label = f"zzgl. {group.rate:.0f} % USt auf {format_eur(group.basis)}"
            self._sum_row(c, label, group.tax)
        title = {
            Invoice.Kind.CANCELLATION: "Stornobetrag",
            Invoice.Kind.CREDIT_NOTE: "Gutschriftsbetrag",
        }.get(inv.kind, "Rechnungsbetrag")
        self._sum_row(c, title, totals.amount.gross, bold=True, rule=True)
        deductions = list(inv.deductions.all())
        for d in deductions:
            self._need(c, 9 * mm)
            self._sum_row(
                c,
                f"abzgl. Abschlag {d.progress_number} vom {_date(d.progress_date)}",
                -d.gross,
            )
            c.setFont(FONT, 7)
            c.setFillColor(GREY)
            self.y -= 3.4 * mm
            c.drawRightString(
                159 * mm,
                self.y,
                f"darin netto {format_eur(d.net)}, USt {d.vat_rate:.0f} % {format_eur(d.tax)}",
            )
        if deductions:
            self._sum_row(c, "Noch zu zahlen", totals.due, bold=True, rule=True)
        self.y -= 4 * mm

    def _paragraph(self, c, text, style):
        para = Paragraph(text, style)
        _, height = para.wrap(RIGHT - LEFT, HEIGHT)
        self._need(c, height + 2 * mm)
        para.drawOn(c, LEFT, self.y - height)
        self.y -= height + 2 * mm

    def _payment(self, c):
        inv = self.invoice
        transfer = asks_for_transfer(inv)
        # Only ordinary payment terms get a GiroCode: never a credit note, nor an offset fee.
        payload = epc_payload(inv, self.open_amount) if transfer else None
        terms = inv.legal_notes[-1] if inv.legal_notes else ""
        account = f"IBAN {_format_iban(inv.seller_iban)}" + (
            f" · BIC {inv.seller_bic}" if inv.seller_bic else ""
        )
        if inv.kind == Invoice.Kind.CREDIT_NOTE:
            bank = f"Auszahlung auf: {inv.seller_name} · {account}"
        elif transfer:
            bank = f"Bankverbindung: {inv.seller_name} · {account}" + (
                f" · {inv.seller_bank}" if inv.seller_bank else ""
            )
        else:  # nothing to transfer: no account that invites paying
            bank = ""
        size = 28 * mm
        if payload is None:
            text = f"<b>{_esc(terms)}</b>" + (f"<br/>{_esc(bank)}" if bank else "")
            self._paragraph(c, text, _style(8.5, 11.5))
            return
        self._need(c, size + 4 * mm)
        top = self.y - 2 * mm
        para = Paragraph(
            f"<b>{_esc(terms)}</b><br/>{_esc(bank)}<br/><br/>"
            f"<font color='#595959'>Bequem bezahlen: den GiroCode rechts mit Ihrer Banking-App "
            f"scannen – Empfänger, IBAN, Betrag ({format_eur(self.open_amount)}) und "
            f"Verwendungszweck sind ausgefüllt.</font>",
            _style(8.5, 11.5),
        )
        _, height = para.wrap(RIGHT - LEFT - size - 8 * mm, size + 20 * mm)
        para.drawOn(c, LEFT, top - height)
        draw_qr(c, payload, RIGHT - size, top - size, size)
        self.y = top - max(height, size) - 3 * mm

    def render(self) -> bytes:
        inv = self.invoice
        buffer = io.BytesIO()
        c = NumberedCanvas(
            buffer, pagesize=A4, pageCompression=1, initialFontName=FONT, initialFontSize=9
        )
        c.setTitle(f"{inv.document_title} {inv.number}")
        c.setAuthor(self.sender.name)
        c.setSubject(f"{inv.document_title} {inv.number} an {self.recipient.name}")
        c.setCreator("Zunft")
        self._letterhead(c)
        self._address_window(c)
        self._info_block(c)
        c.setFont(BOLD, 12)
        c.setFillColor(colors.black)
        c.drawString(LEFT, HEIGHT - 100 * mm, f"{inv.document_title} {inv.number}")
        self.y = HEIGHT - 104 * mm
        self._paragraph(c, f"<b>{_esc(inv.title)}</b>", _style(9.5, 12))
        if not inv.introduction:  # the default text starts in lower case, after the greeting
            self._paragraph(c, _esc(_salutation(inv)), _style(9, 12))
        intro = inv.introduction or _introduction(inv)
        self._paragraph(c, _esc(intro), _style(9, 12))
        self._table_header(c)
        self.carried = 0
        for line in inv.lines.all():
            self._row(c, line)
        self._totals(c)
        for note in inv.legal_notes[:-1]:
            self._paragraph(c, _esc(note), _style(8, 10.5))
        self.y -= 1 * mm
        self._payment(c)
        self._footer(c)
        self._fold_marks(c)
        c.showPage()
        c.save()
        return buffer.getvalue()


def _salutation(invoice: Invoice) -> str:
    if invoice.buyer_kind == Customer.Kind.PRIVATE and invoice.buyer_name:
        return f"Guten Tag {invoice.buyer_name},"
    return "Sehr geehrte Damen und Herren,"


def _introduction(invoice: Invoice) -> str:
    if invoice.kind == Invoice.Kind.CANCELLATION:
        return "hiermit stornieren wir die unten genannte Rechnung vollständig."
    if invoice.kind == Invoice.Kind.PROGRESS:
        return "für die bisher erbrachten Leistungen berechnen wir Ihnen folgenden Abschlag:"
    return "vielen Dank für Ihren Auftrag. Für unsere Leistungen berechnen wir Ihnen:"


def _format_iban(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def draw_qr(c, payload: str, x: float, y: float, size: float) -> None:
    """Draw the QR code as vector squares (crisp at any zoom, no image for PDF/A to worry about),
    with the four-module quiet zone the standard asks for."""
    qr = segno.make(payload, error="m", micro=False, encoding="utf-8")
    matrix = [list(row) for row in qr.matrix]
    count = len(matrix) + 8
    module = size / count
    c.setFillColor(colors.white)
    c.rect(x, y, size, size, stroke=0, fill=1)
    c.setFillColor(colors.black)
    for r, row in enumerate(matrix):
        col = 0
        while col < len(row):
            if row[col]:
                start = col
                while col < len(row) and row[col]:
                    col += 1
                c.rect(
                    x + (start + 4) * module,
                    y + size - (r + 5) * module,
                    (col - start) * module,
                    module,
                    stroke=0,
                    fill=1,
                )
            else:
                col += 1
