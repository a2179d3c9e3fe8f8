"""The jobs part of a person's data export and erasure (registered with ``customers.privacy``).

Requests, packages with their tasks, quotes, acceptances and the homeowner's messages. Two
pieces of a package come from the apps above, which jobs does not import: each task's
appointments (``scheduling``) and each quote's PDF (``invoicing``); they register here in their
``AppConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Prefetch
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from customers.models import Customer
from customers.privacy import REDACTED, Archive, Erasure
from jobs.acceptance import rendered_protocol
from jobs.models import (
    Acceptance,
    Defect,
    Message,
    Package,
    Photo,
    Quote,
    Request,
    Signature,
    Supplement,
    Task,
)
from zunft.core.units import unit_label

OPEN_PACKAGE_STATUSES = ("draft", "quoted", "accepted", "in_progress")

AppointmentExport = Callable[[list[Task]], dict[int, list[dict]]]
# Renders a quote, or a supplement (an offer of the same kind), as ``(filename, mimetype, bytes)``.
QuoteRenderer = Callable[[Quote | Supplement], tuple[str, str, bytes]]
_appointment_export: list[AppointmentExport] = []
_quote_renderer: list[QuoteRenderer] = []


def register_appointment_export(fn: AppointmentExport) -> None:
    """``fn(tasks)`` returns the exported appointments of these tasks by task id."""
    _appointment_export[:] = [fn]


def register_quote_renderer(fn: QuoteRenderer) -> None:
    """``fn(quote)`` returns the quote's document as ``(filename, mimetype, bytes)``."""
    _quote_renderer[:] = [fn]


def quote_document(quote) -> tuple[str, str, bytes] | None:
    """The quote's (or a supplement's) document from the registered renderer, or None without
    one."""
    return _quote_renderer[0](quote) if _quote_renderer else None


def _registered(slot: list, what: str, app: str):
    # A missing part must fail the export, not silently leave data out of it.
    if not slot:
        raise RuntimeError(f"no {what} registered (is the {app} app installed?)")
    return slot[0]


# --- export ---------------------------------------------------------------------------------------


def export_requests(customer: Customer, archive: Archive) -> list[dict]:
    requests = Request.objects.filter(customer=customer).select_related("template", "trade")
    return [
        {
            "id": r.pk,
            "status": r.status,
            "site": r.site_id,
            "template": r.template.code if r.template else None,
            "trade": r.trade.code if r.trade else None,
            "description": r.description,
            "parameters": r.parameters,
            "earliest_start": r.earliest_start,
            "blocked_days": r.blocked_days,
            "package": r.package_id,
            "created_at": r.created_at,
        }
        for r in requests.order_by("id")
    ]


def _packages(customer: Customer):
    return (
        Package.objects.filter(customer=customer)
        .select_related("template")
        .prefetch_related(
            Prefetch(
                "tasks",
                queryset=Task.objects.select_related("trade").prefetch_related(
                    "photos", "signatures"
                ),
            ),
            Prefetch("quotes", queryset=Quote.objects.prefetch_related("lines")),
            Prefetch(
                "supplements",
                queryset=Supplement.objects.order_by("number").prefetch_related("tasks__trade"),
            ),
            Prefetch(
                "acceptances",
                queryset=Acceptance.objects.prefetch_related(
                    Prefetch("defects", queryset=Defect.objects.select_related("task", "rework"))
                ),
            ),
            "messages",
        )
        .order_by("id")
    )


def _task_data(task: Task, appointments: list[dict], archive: Archive, folder: str) -> dict:
    photos = []
    for photo in task.photos.all():
        path = archive.add_stored(f"{folder}/foto-{photo.pk}", photo.image)
        photos.append({"caption": photo.caption, "taken_at": photo.created_at, "file": path})
    signatures = []
    for sig in task.signatures.all():
        path = archive.add_stored(f"{folder}/unterschrift-{sig.pk}", sig.image)
        signatures.append(
            {"signer_name": sig.signer_name, "signed_at": sig.signed_at, "file": path}
        )
    return {
        "code": task.code,
        "name": task.name_de,
        "trade": task.trade.code,
        "status": task.status,
        "duration_hours": task.duration_hours,
        "appointments": appointments,
        "photos": photos,
        "signatures": signatures,
    }


def _quote_data(quote: Quote, archive: Archive, render_quote: QuoteRenderer) -> dict:
    filename, _mimetype, content = render_quote(quote)
    return {
        "version": quote.version,
        "status": quote.status,
        "valid_until": quote.valid_until,
        "net": quote.net,
        "vat": quote.vat,
        "gross": quote.gross,
        "labour_gross": quote.labour_gross,
        "tax_reduction": quote.tax_reduction,
        "start_date": quote.start_date,
        "completion_date": quote.completion_date,
        "promised_date": quote.promised_date,
        "accepted_at": quote.accepted_at,
        "declined_at": quote.declined_at,
        "early_start_consent": quote.early_start_consent,
        "lines": [
            {
                "position": line.position,
                "kind": line.kind,
                "trade": line.trade,
                "text": line.text,
                "quantity": line.quantity,
                "unit": line.unit,
                "unit_label": unit_label(line.unit, "de"),
                "unit_price": line.unit_price,
                "net": line.net,
                "vat_rate": line.vat_rate,
            }
            for line in quote.lines.all()
        ],
        "file": archive.add(f"angebote/{filename}", content),
    }


def _supplement_data(supplement: Supplement, archive: Archive, render: QuoteRenderer) -> dict:
    filename, _mimetype, content = render(supplement)
    return {
        "number": supplement.number,
        "status": supplement.status,
        "reason": supplement.reason,
        "valid_until": supplement.valid_until,
        "net": supplement.net,
        "vat": supplement.vat,
        "gross": supplement.gross,
        "decided_at": supplement.decided_at,
        "work": [
            {
                "name": piece.name,
                "trade": piece.trade.name_de,
                "hours": piece.duration_hours,
                "crew_size": piece.crew_size,
                "material_cost": piece.material_cost,
            }
            for piece in supplement.tasks.all()
        ],
        "file": archive.add(f"nachtraege/{filename}", content),
    }


def _acceptance_data(package: Package, archive: Archive, folder: str) -> list[dict]:
    acceptances = []
    for acceptance in package.acceptances.all():
        path = archive.add_stored(f"{folder}/abnahme-{acceptance.pk}", acceptance.signature)
        protocol = archive.add_stored(f"{folder}/abnahme-{acceptance.pk}", acceptance.protocol)
        if protocol is None:  # signed before protocols were stored: as it reads now
            protocol = rendered_protocol(acceptance)
            if protocol is not None:
                protocol = archive.add(f"{folder}/abnahme-{acceptance.pk}.pdf", protocol)
        acceptances.append(
            {
                "outcome": acceptance.outcome,
                "signer_name": acceptance.signer_name,
                "date": acceptance.created_at,
                "file": path,
                "protocol": protocol,
                # What she wrote about each defect, machine-readable and not only in the PDF.
                "defects": [
                    {
                        "task": defect.task.code,
                        "task_name": defect.task.name_de,
                        "text": defect.description,
                        "reported_at": acceptance.created_at,
                        "rework_status": defect.rework.status if defect.rework else None,
                    }
                    for defect in acceptance.defects.all()
                ],
            }
        )
    return acceptances


def export_packages(customer: Customer, archive: Archive) -> list[dict]:
    """Packages with tasks (appointments, photos, signatures), quotes with their PDF,
    acceptances and the homeowner's messages; the files go into the archive."""
    render_quote = _registered(_quote_renderer, "quote renderer", "invoicing")
    packages = list(_packages(customer))
    tasks = [task for package in packages for task in package.tasks.all()]
    # One query for all tasks, as a prefetch would do, and none without tasks.
    appointments = (
        _registered(_appointment_export, "appointment export", "scheduling")(tasks) if tasks else {}
    )
    result = []
    for package in packages:
        folder = f"auftraege/{package.pk}"
        # Acceptance files first in the archive: the order exports have always had.
        acceptances = _acceptance_data(package, archive, folder)
        result.append(
            {
                "id": package.pk,
                "title": package.title,
                "status": package.status,
                "site": package.site_id,
                "template": package.template.code if package.template else None,
                "parameters": package.parameters,
                "earliest_start": package.earliest_start,
                "promised_date": package.promised_date,
                "created_at": package.created_at,
                "withdrawn_at": package.withdrawn_at,
                "tasks": [
                    _task_data(t, appointments.get(t.pk, []), archive, folder)
                    for t in package.tasks.all()
                ],
                "quotes": [_quote_data(q, archive, render_quote) for q in package.quotes.all()],
                "supplements": [
                    _supplement_data(s, archive, render_quote) for s in package.supplements.all()
                ],
                "acceptances": acceptances,
                # Their own thread with the office (workshop threads are the firms' business).
                "messages": [
                    {"from": m.sender, "text": m.body, "sent": m.created_at, "read": m.read_at}
                    for m in package.messages.all()
                    if m.thread == "homeowner"
                ],
            }
        )
    return result


# --- erasure --------------------------------------------------------------------------------------


def erasure_blockers(customer: Customer) -> list[dict]:
    """Open packages (a contract in force) and open quotes (the customer may still accept),
    labelled in the reader's language."""
    blockers = [
        {
            "kind": "package",
            "id": p.pk,
            "status": p.status,
            "label": _("Order #%(id)s “%(title)s” (%(status)s)")
            % {"id": p.pk, "title": p.title, "status": p.get_status_display()},
        }
        for p in Package.objects.filter(
            customer=customer, status__in=OPEN_PACKAGE_STATUSES
        ).order_by("id")
    ]
    blockers += [
        {
            "kind": "quote",
            "id": q.pk,
            "status": q.status,
            "label": _("Quote %(package)s-%(version)s (open until %(date)s)")
            % {
                "package": q.package_id,
                "version": q.version,
                "date": date_format(q.valid_until, "SHORT_DATE_FORMAT"),
            },
        }
        for q in Quote.objects.filter(package__customer=customer, status="open").order_by("id")
    ]
    return blockers


def _erase_field_evidence(customer: Customer, name: str) -> list[str]:
    """Photos go; signatures lose their image and signer, keeping the date as proof of the
    acceptance. Returns the stored files to delete once the transaction has committed."""
    files = []
    photos = Photo.objects.filter(task__package__customer=customer)
    files += [p.image.name for p in photos if p.image]
    photos.delete()
    signatures = Signature.objects.filter(task__package__customer=customer)
    files += [s.image.name for s in signatures if s.image]
    signatures.update(image="", signer_name=name)
    acceptances = Acceptance.objects.filter(package__customer=customer)
    files += [a.signature.name for a in acceptances if a.signature]
    files += [a.protocol.name for a in acceptances if a.protocol]  # it shows name and signature
    acceptances.update(signature="", protocol="", signer_name=name)
    return files


def erase(erasure: Erasure) -> list[str]:
    """Request descriptions and message texts go, new requests are declined, photos and
    signature images go; packages, tasks and quotes stay (bookkeeping, warranty). Returns the
    stored files to delete after commit."""
    customer = erasure.customer
    Request.objects.filter(customer=customer).update(description="")
    Request.objects.filter(customer=customer, status="new").update(status="declined")
    # Messages may name people and places in free text: the texts go, the fact stays.
    Message.objects.filter(package__customer=customer).update(body=REDACTED)
    return _erase_field_evidence(customer, erasure.pseudonym)
