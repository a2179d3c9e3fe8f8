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
from jobs.models import Quote, Supplement
from trades.models import Cooperative
from zunft.core.money import format_eur, format_quantity
from zunft.core.units import unit_label


def _document(title: str, author: str):
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=35 * mm,
        title=title,
        author=author,
    )
    return buffer, doc


def _letterhead(coop, customer, heading: str, facts: list[str], body, small) -> list:
    """The cooperative at the top right, the customer's address, the heading and the facts
    under it (the site, the date and validity)."""
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
        Paragraph(_esc(heading), _style(14, bold=True)),
        *[Paragraph(_esc(fact), body if i == 0 else small) for i, fact in enumerate(facts)],
        Spacer(0, 6 * mm),
    ]
    return story


def _lines_and_totals(lines, net, vat, gross, total_label: str, body) -> list:
    """The priced lines under one heading per trade, then net, VAT and the gross total."""
    rows = [["Pos.", "Leistung", "Menge", "Einzelpreis", "Betrag"]]
    # One heading per trade, as on the quote page: a package's tasks alternate between trades.
    by_trade: dict[str, list] = {}
    for line in lines:
        by_trade.setdefault(line.trade, []).append(line)
    for trade, trade_lines in by_trade.items():
        rows.append(["", Paragraph(_esc(trade or "Verbund"), _style(9.5, bold=True)), "", "", ""])
        rows += [
            [
                str(line.position),
                Paragraph(_esc(line.text), body),
                f"{format_quantity(line.quantity)} {unit_label(line.unit, 'de')}",
                format_eur(line.unit_price),
                format_eur(line.net),
            ]
            for line in trade_lines
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
            ["Summe netto", format_eur(net)],
            [f"Umsatzsteuer {format_quantity(lines[0].vat_rate)} %", format_eur(vat)],
            [total_label, format_eur(gross)],
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
    return [table, Spacer(0, 4 * mm), KeepTogether([totals]), Spacer(0, 6 * mm)]


def _tax_reduction(offer, body) -> Paragraph:
    # Only a supplement comes to none with labour in it: its order used the cap up.
    text = texts.QUOTE_TAX_REDUCTION
    if offer.labour_gross and not offer.tax_reduction:
        text = texts.SUPPLEMENT_TAX_REDUCTION_USED
    return Paragraph(
        _esc(
            text.format(
                labour=format_eur(offer.labour_gross), reduction=format_eur(offer.tax_reduction)
            )
        ),
        body,
    )


def render_quote(quote: Quote) -> tuple[str, str, bytes]:
    """``(filename, mimetype, bytes)`` of the quote's PDF."""
    register_fonts()
    package = quote.package
    coop = Cooperative.objects.first()
    dated = timezone.localdate(quote.created_at)  # the German day, not UTC's
    buffer, doc = _document(f"Angebot {package.pk}-{quote.version}", coop.name if coop else "Zunft")
    body, small, right = _style(9.5), _style(8, color=colors.grey), _style(9.5, align=TA_RIGHT)
    story = _letterhead(
        coop,
        package.customer,
        f"Angebot {package.pk}-{quote.version}: {package.title}",
        [
            f"Objekt: {package.site}",
            f"Datum {_date(dated)} · gültig bis {_date(quote.valid_until)}",
        ],
        body,
        small,
    )
    story += _lines_and_totals(
        list(quote.lines.all()), quote.net, quote.vat, quote.gross, "Angebotssumme brutto", body
    )
    story += [
        _tax_reduction(quote, body),
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


def render_supplement(supplement: Supplement) -> tuple[str, str, bytes]:
    """``(filename, mimetype, bytes)`` of a supplement's PDF: why the work is needed, its lines
    and sums, and whether and when the homeowner ordered it."""
    register_fonts()
    package = supplement.package
    coop = Cooperative.objects.first()
    name = f"Nachtrag {package.pk}-N{supplement.number}"
    buffer, doc = _document(name, coop.name if coop else "Zunft")
    body, small, right = _style(9.5), _style(8, color=colors.grey), _style(9.5, align=TA_RIGHT)
    accepted = package.quotes.filter(status=Quote.Status.ACCEPTED).first()
    order = f"Angebot {package.pk}-{accepted.version}" if accepted else f"Auftrag {package.pk}"
    story = _letterhead(
        coop,
        package.customer,
        f"{name}: {package.title}",
        [
            f"Objekt: {package.site} · zu {order}",
            f"Datum {_date(timezone.localdate(supplement.created_at))} · "
            f"gültig bis {_date(supplement.valid_until)}",
        ],
        body,
        small,
    )
    story += [
        Paragraph("Begründung", _style(10, bold=True)),
        Paragraph(_esc(supplement.reason).replace("\n", "<br/>"), body),
        Spacer(0, 5 * mm),
    ]
    story += _lines_and_totals(
        list(supplement.lines.all()),
        supplement.net,
        supplement.vat,
        supplement.gross,
        "Nachtragssumme brutto",
        body,
    )
    story += [
        _tax_reduction(supplement, body),
        Spacer(0, 3 * mm),
        Paragraph(_esc(texts.SUPPLEMENT_TRAVEL), body),
        Spacer(0, 6 * mm),
    ]
    if supplement.status == Supplement.Status.ACCEPTED and supplement.decided_at:
        at = timezone.localtime(supplement.decided_at)
        who = supplement.decided_by.get_full_name() if supplement.decided_by else ""
        text = (
            f"Beauftragt am {at:%d.%m.%Y} um {at:%H:%M} Uhr über das Kundenportal"
            + (f" von {who}" if who else "")
            + ". Der Nachtrag ergänzt den Auftrag; im Übrigen gelten dessen Bedingungen."
        )
        if supplement.early_start_consent:
            text += (
                " Sie haben ausdrücklich verlangt, dass wir mit dieser Arbeit sofort beginnen; "
                "bei einem Widerruf ist Wertersatz für die bis dahin erbrachte Leistung zu "
                "leisten (§ 357a Abs. 2 BGB)."
            )
        story += [Paragraph("<b>Auftragsbestätigung</b>", body), Paragraph(_esc(text), body)]
    else:
        state = {
            Supplement.Status.OPEN: "Beauftragen Sie diesen Nachtrag online in Ihrem "
            "Kundenportal oder lehnen Sie ihn dort ab.",
            Supplement.Status.DECLINED: "Sie haben diesen Nachtrag abgelehnt.",
            Supplement.Status.RETRACTED: "Diesen Nachtrag hat das Büro zurückgenommen.",
        }[supplement.status]
        story.append(Paragraph(_esc(state), right))
    doc.build(story, canvasmaker=NumberedCanvas)
    return f"nachtrag-{package.pk}-{supplement.number}.pdf", "application/pdf", buffer.getvalue()


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
