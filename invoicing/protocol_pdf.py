"""The Abnahmeprotokoll: date, the parts of the order and who did them, defects, signature."""

from io import BytesIO

from django.apps import apps
from django.utils import timezone, translation
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from invoicing.pdf import FONT, NumberedCanvas, _date, _esc, _style, register_fonts
from jobs.models import Acceptance
from trades.models import Cooperative


def protocol_filename(acceptance: Acceptance) -> str:
    name = "abnahme" if acceptance.outcome == Acceptance.Outcome.APPROVED else "maengel"
    return f"{name}-{acceptance.package_id}-{acceptance.pk}.pdf"


def signed_protocol(acceptance: Acceptance) -> bytes:
    """The protocol's PDF as of now, in German whoever signs: stored when it is signed."""
    # Who did each task: read through the app registry (invoicing does not import scheduling).
    appointment = apps.get_model("scheduling", "Appointment")
    performers = dict(
        appointment.objects.filter(task__package_id=acceptance.package_id)
        .exclude(status="cancelled")
        .values_list("task_id", "workshop__name")
    )
    with translation.override("de"):
        return render_protocol(acceptance, performers)[2]


def render_protocol(acceptance: Acceptance, performers: dict[int, str]) -> tuple[str, str, bytes]:
    """``(filename, mimetype, bytes)``; ``performers`` maps task ids to the workshop that did
    them (the caller knows the appointments)."""
    register_fonts()
    package = acceptance.package
    coop = Cooperative.objects.first()
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        leftMargin=25 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=35 * mm,
        title=f"Abnahmeprotokoll {package.pk}",
    )
    body, small = _style(9.5), _style(8, color=colors.grey)
    story = [
        Paragraph(_esc(coop.name if coop else "Zunft"), _style(12, bold=True)),
        Spacer(0, 8 * mm),
        Paragraph("Abnahmeprotokoll", _style(16, bold=True)),
        Paragraph(_esc(f"Auftrag {package.pk}: {package.title}"), body),
        Paragraph(_esc(f"Objekt: {_address(package.site)}"), body),
        Paragraph(_esc(f"Auftraggeber: {package.customer.display_name}"), body),
        Paragraph(_esc(f"Datum: {_date(timezone.localdate(acceptance.created_at))}"), body),
        Spacer(0, 6 * mm),
        Paragraph("Leistungen", _style(11, bold=True)),
    ]
    rows = [["Leistung", "Gewerk", "Ausgeführt von", "Status"]]
    for task in package.tasks.select_related("trade").order_by("position", "id"):
        rows.append(
            [
                Paragraph(_esc(task.name_de), body),
                Paragraph(_esc(task.trade.name_de), body),
                Paragraph(_esc(performers.get(task.pk, "–")), body),
                task.get_status_display(),
            ]
        )
    # Wide enough for "Rollladen- und Sonnenschutztechniker" without breaking inside a word.
    table = Table(rows, colWidths=[52 * mm, 48 * mm, 42 * mm, 23 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
            ]
        )
    )
    story += [table, Spacer(0, 6 * mm)]
    defects = list(acceptance.defects.select_related("task"))
    if defects:
        story.append(Paragraph("Festgestellte Mängel", _style(11, bold=True)))
        for number, defect in enumerate(defects, start=1):
            story.append(
                Paragraph(_esc(f"{number}. {defect.task.name_de}: {defect.description}"), body)
            )
        story.append(
            Paragraph(
                "Die Abnahme erfolgt nach Beseitigung der Mängel; die Nacharbeiten werden dem "
                "ausführenden Betrieb übertragen.",
                small,
            )
        )
    else:
        story.append(
            Paragraph(
                _esc(
                    "Die Leistungen werden ohne Mängel abgenommen (§ 640 BGB). Mit der Abnahme "
                    "beginnt die Gewährleistungsfrist; die Schlussrechnung wird fällig."
                ),
                body,
            )
        )
    story += [Spacer(0, 8 * mm), Paragraph("Unterschrift Auftraggeber", _style(9, bold=True))]
    if acceptance.signature:
        with acceptance.signature.open("rb") as handle:
            story.append(
                Image(BytesIO(handle.read()), width=60 * mm, height=25 * mm, kind="proportional")
            )
    story.append(
        Paragraph(
            _esc(f"{acceptance.signer_name}, {_date(timezone.localdate(acceptance.created_at))}"),
            body,
        )
    )
    doc.build(story, canvasmaker=NumberedCanvas)
    return protocol_filename(acceptance), "application/pdf", buffer.getvalue()


def _address(site) -> str:
    """Where the work was done: a label ("Wohnhaus") alone names no place."""
    place = f"{site.street}, {site.postal_code} {site.city}"
    return f"{site.label}, {place}" if site.label else place
