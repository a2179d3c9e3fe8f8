"""The quote (Angebot) as a PDF: lines per trade, VAT, totals, the labour share and the §35a
estimate, dates, validity and the withdrawal notice. Same letterhead fonts as the invoices."""

from io import BytesIO

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from invoicing import texts
from invoicing.pdf import BOLD, FONT, NumberedCanvas, _date, _esc, _style, register_fonts
from jobs.models import Quote
from trades.models import Cooperative
from zunft.core.money import format_eur, format_quantity
from zunft.core.units import unit_label


def render_quote(quote: Quote) -> tuple[str, str, bytes]:
    """``(filename, mimetype, bytes)`` of the quote's PDF."""
    register_fonts()
    package = quote.package
    customer = package.customer
    coop = Cooperative.objects.first()
    dated = timezone.localdate(quote.created_at)  # the German day, not UTC's
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=35 * mm,
        title=f"Angebot {package.pk}-{quote.version}",
        author=coop.name if coop else "Zunft",
    )
    body, small, right = _style(9.5), _style(8, color=colors.grey), _style(9.5, align=TA_RIGHT)
    story = []
    if coop:
        story += [
            Paragraph(_esc(coop.name), _style(14, bold=True, align=TA_RIGHT)),
            Paragraph(
                _esc(f"{coop.street}, {coop.postal_code} {coop.city} · {coop.email}"),
                _style(8, align=TA_RIGHT, color=colors.grey),
            ),
            Spacer(0, 18 * mm),
        ]
    story += [
        Paragraph(_esc(customer.display_name), body),
        Paragraph(_esc(customer.street), body),
        Paragraph(_esc(f"{customer.postal_code} {customer.city}"), body),
        Spacer(0, 12 * mm),
        Paragraph(
            _esc(f"Angebot {package.pk}-{quote.version}: {package.title}"), _style(14, bold=True)
        ),
        Paragraph(_esc(f"Objekt: {package.site}"), body),
        Paragraph(_esc(f"Datum {_date(dated)} · gültig bis {_date(quote.valid_until)}"), small),
        Spacer(0, 6 * mm),
    ]
    rows = [["Pos.", "Leistung", "Menge", "Einzelpreis", "Betrag"]]
    # One heading per trade, as on the quote page: a package's tasks alternate between trades.
    by_trade: dict[str, list] = {}
    for line in quote.lines.all():
        by_trade.setdefault(line.trade, []).append(line)
    for trade, lines in by_trade.items():
        rows.append(["", Paragraph(_esc(trade or "Verbund"), _style(9.5, bold=True)), "", "", ""])
        rows += [
            [
                str(line.position),
                Paragraph(_esc(line.text), body),
                f"{format_quantity(line.quantity)} {unit_label(line.unit, 'de')}",
                format_eur(line.unit_price),
                format_eur(line.net),
            ]
            for line in lines
        ]
    table = Table(rows, colWidths=[10 * mm, 78 * mm, 24 * mm, 26 * mm, 27 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("FONT", (0, 0), (-1, 0), BOLD, 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#cccccc")),
            ]
        )
    )
    totals = Table(
        [
            ["Summe netto", format_eur(quote.net)],
            [
                f"Umsatzsteuer {format_quantity(quote.lines.first().vat_rate)} %",
                format_eur(quote.vat),
            ],
            ["Angebotssumme brutto", format_eur(quote.gross)],
        ],
        colWidths=[60 * mm, 30 * mm],
        hAlign="RIGHT",
    )
    totals.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9.5),
                ("FONT", (0, 2), (-1, 2), BOLD, 10.5),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, 2), (-1, 2), 0.75, colors.black),
            ]
        )
    )
    # The sums stay on one page: "brutto" alone atop the next one reads like another quote.
    story += [table, Spacer(0, 4 * mm), KeepTogether([totals]), Spacer(0, 6 * mm)]
    story += [
        Paragraph(
            _esc(
                texts.QUOTE_TAX_REDUCTION.format(
                    labour=format_eur(quote.labour_gross), reduction=format_eur(quote.tax_reduction)
                )
            ),
            body,
        ),
        Spacer(0, 3 * mm),
        Paragraph(
            _esc(
                f"Geplanter Beginn: {_date(quote.start_date) if quote.start_date else '–'} · "
                f"frühestmögliche Fertigstellung: "
                f"{_date(quote.completion_date) if quote.completion_date else '–'}"
            ),
            body,
        ),
        *(
            [
                Paragraph(
                    _esc(f"Fertigstellung verbindlich zugesagt bis: {_date(quote.promised_date)}"),
                    body,
                )
            ]
            if quote.promised_date
            else []
        ),
        Spacer(0, 6 * mm),
        Paragraph("Widerrufsbelehrung", _style(10, bold=True)),
        *_withdrawal(coop, quote, small),
        Spacer(0, 4 * mm),
        *_acceptance(quote, body, right),
    ]
    doc.build(story, canvasmaker=NumberedCanvas)
    return f"angebot-{package.pk}-{quote.version}.pdf", "application/pdf", buffer.getvalue()


def _acceptance(quote: Quote, body, right) -> list:
    """How the quote was accepted (the order confirmation's proof), or how to accept it."""
    if quote.status != Quote.Status.ACCEPTED or quote.accepted_at is None:
        # German like the rest of the document (its language of record, with the legal texts).
        invitation = "Nehmen Sie dieses Angebot online in Ihrem Kundenportal an."
        return [Paragraph(_esc(invitation), right)]
    at = timezone.localtime(quote.accepted_at)
    who = quote.accepted_by.get_full_name() if quote.accepted_by else ""
    text = (
        f"Angenommen am {at:%d.%m.%Y} um {at:%H:%M} Uhr über das Kundenportal"
        + (f" von {who}" if who else "")
        + "; die Widerrufsbelehrung wurde dabei bestätigt."
    )
    if quote.early_start_consent:
        text += (
            " Sie haben ausdrücklich verlangt, dass wir vor Ablauf der Widerrufsfrist mit der "
            "Ausführung beginnen; bei einem Widerruf ist Wertersatz für die bis dahin erbrachte "
            "Leistung zu leisten (§ 357a Abs. 2 BGB)."
        )
    return [Paragraph("<b>Auftragsbestätigung</b>", body), Paragraph(_esc(text), body)]


def _withdrawal(coop, quote: Quote, small) -> list:
    """The withdrawal notice with the cooperative's name, address and e-mail, and the model
    withdrawal form, filled in with this order."""
    trader = texts.trader_identity(coop)
    heading = _style(8.5, bold=True)
    story = [
        Paragraph(
            _esc(part.format(trader=trader)),
            heading if part in texts.WITHDRAWAL_HEADINGS else small,
        )
        for part in texts.WITHDRAWAL_NOTICE
    ]
    service = f"{quote.package.title} (Angebot {quote.package.pk}-{quote.version})"
    form = [
        Paragraph(_esc(line.format(trader=trader, service=service)), heading if n == 0 else small)
        for n, line in enumerate(texts.WITHDRAWAL_FORM)
    ]
    return [*story, Spacer(0, 3 * mm), KeepTogether(form)]
