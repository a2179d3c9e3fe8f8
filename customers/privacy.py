"""Data protection for customers: export (DSGVO Art. 15/20), erasure (Art. 17), the audit log.

A person's data lives in the apps above this one (requests, packages, quotes and field evidence in
``jobs``, appointments in ``scheduling``, invoices in ``invoicing``), but imports only go downwards
(DESIGN.md §3). Those models are read through the app registry and the two renderers are looked
up by module name, as ``invoicing.views`` reads appointments, so the layering contract holds.

Erasure pseudonymises rather than deletes, and keeps what the law requires or allows:

- issued invoices with their copied buyer name and address, their archived PDF/XML, payments and
  dunning notices (§147 AO, §14b UStG: 8 years; the database refuses changes to them anyway);
- consents, as proof of what was agreed and when (Art. 7(1)), tied only to the pseudonymised
  login;
- packages, tasks, quotes and appointments without personal data (the workshops' bookkeeping and
  warranty periods, §634a BGB);
- the audit log, with the recorded values of the person's records replaced.

Open work blocks erasure instead of being cancelled: an accepted package is a contract in force,
cancelling it has consequences (fees, work already done, appointments of several workshops) that
the office must settle with the customer, and until then the data is needed to perform it
(Art. 17(3)(b), Art. 6(1)(b)). The same holds for an open quote the customer may still accept,
and for an unpaid invoice (the claim, Art. 17(3)(e)).
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

from auditlog import get_logentry_model
from auditlog.cid import get_cid
from auditlog.context import disable_auditlog
from auditlog.middleware import AuditlogMiddleware
from django.apps import apps
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import Point
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from customers.geocoding import geocode_postcode
from customers.models import Customer, Site

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "zunft-export/1"
OPEN_PACKAGE_STATUSES = ("draft", "quoted", "accepted", "in_progress")
REDACTED = "[gelöscht]"
# Kept on erasure, with the reason; also shown to the person in the API answer.
KEPT = [
    "Ausgestellte Rechnungen mit Käuferdaten, Zahlungen, Mahnungen (§147 AO, §14b UStG: 8 Jahre)",
    "Einwilligungen als Nachweis (Art. 7 Abs. 1 DSGVO), ohne personenbezogene Daten",
    "Aufträge, Angebote und Termine ohne personenbezogene Daten (Buchhaltung, Gewährleistung)",
    "Protokoll: wer wann welche Daten gesehen oder geändert hat, ohne die Werte",
]


def _model(label: str):
    return apps.get_model(label)


def pseudonym(customer: Customer) -> str:
    return f"Gelöschte Person #{customer.pk}"


def deleted_email(customer: Customer) -> str:
    return f"deleted-{customer.pk}@invalid"


# --- access log -----------------------------------------------------------------------------------


def _subject_user_id(instance) -> int | None:
    """The login of the person a record is about, if it has one."""
    if isinstance(instance, Customer):
        return instance.user_id
    if isinstance(instance, Site):
        return instance.customer.user_id
    return getattr(instance, "user_id", None)


def record_access(request, instances, *, via: str) -> int:
    """Log that ``request.user`` saw these records (auditlog's ``access`` action, one entry per
    record, written in one statement). A person reading their own data is not logged: the log is
    about who saw someone else's. Returns the number of entries written."""
    actor = getattr(request, "user", None)
    if actor is None or not actor.is_authenticated:
        return 0
    log_entry = get_logentry_model()
    remote_addr = AuditlogMiddleware._get_remote_addr(request)
    cid = get_cid()
    entries = [
        log_entry(
            content_type=ContentType.objects.get_for_model(instance),
            object_pk=str(instance.pk),
            object_id=instance.pk,
            object_repr=str(instance),
            action=log_entry.Action.ACCESS,
            actor_id=actor.pk,
            actor_email=actor.email or None,
            remote_addr=remote_addr,
            additional_data={"via": via},
            cid=cid,
        )
        for instance in instances
        if _subject_user_id(instance) != actor.pk
    ]
    log_entry.objects.bulk_create(entries)
    return len(entries)


class AccessLoggedAdminMixin:
    """Mix into a ``ModelAdmin``: opening a record's page in the admin is logged as an access."""

    access_log_via = "admin"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                record_access(request, [obj], via=self.access_log_via)
        return response


class AuditActorMiddleware(AuditlogMiddleware):
    """auditlog's middleware reads ``request.user`` before the view runs, so a change made with
    an API token (django-ninja authenticates inside the view) would be logged without its actor.
    This one looks the actor up when the first log entry of the request is written."""

    def get_extra_data(self, request):
        data = super().get_extra_data(request)
        data["actor"] = SimpleLazyObject(lambda: self._get_actor(request))
        return data


# --- export ---------------------------------------------------------------------------------------


@dataclass
class Archive:
    """The ZIP being built: the JSON document plus the files it names."""

    zip: zipfile.ZipFile

    def add(self, name: str, content: bytes) -> str:
        self.zip.writestr(name, content)
        return name

    def add_stored(self, name: str, field) -> str | None:
        """Copy a stored file (photo, signature) into the archive; None when it is gone."""
        if not field:
            return None
        try:
            with field.storage.open(field.name, "rb") as handle:
                return self.add(f"{name}{PurePosixPath(field.name).suffix}", handle.read())
        except FileNotFoundError:
            logger.warning("export: file %s is missing", field.name)
            return None


def _user_data(user) -> dict:
    tokens = [
        {
            "name": t.name,
            "prefix": t.prefix,
            "scope": t.scope,
            "created_at": t.created_at,
            "expires_at": t.expires_at,
            "last_used_at": t.last_used_at,
            "revoked_at": t.revoked_at,
        }
        for t in user.api_tokens.all()
    ]
    return {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "phone": user.phone,
        "role": user.role,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "api_tokens": tokens,
        "consents": [
            {
                "kind": c.kind,
                "text_version": c.text_version,
                "subject": c.subject,
                "given_at": c.given_at,
            }
            for c in user.consents.all()
        ],
    }


def _customer_data(customer: Customer) -> dict:
    return {
        "id": customer.pk,
        "kind": customer.kind,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "company": customer.company,
        "email": customer.email,
        "phone": customer.phone,
        "street": customer.street,
        "postal_code": customer.postal_code,
        "city": customer.city,
        "country": customer.country,
        "vat_id": customer.vat_id,
        "buyer_reference": customer.buyer_reference,
        "created_at": customer.created_at,
    }


def _site_data(site: Site) -> dict:
    return {
        "id": site.pk,
        "label": site.label,
        "street": site.street,
        "postal_code": site.postal_code,
        "city": site.city,
        "state": site.state,
        "latitude": site.location.y,
        "longitude": site.location.x,
        "access_notes": site.access_notes,
        "created_at": site.created_at,
    }


def _request_data(customer: Customer) -> list[dict]:
    requests = (
        _model("jobs.Request").objects.filter(customer=customer).select_related("template", "trade")
    )
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
    task = _model("jobs.Task")
    appointment = _model("scheduling.Appointment")
    quote = _model("jobs.Quote")
    return (
        _model("jobs.Package")
        .objects.filter(customer=customer)
        .select_related("template")
        .prefetch_related(
            Prefetch(
                "tasks",
                queryset=task.objects.select_related("trade").prefetch_related(
                    "photos",
                    "signatures",
                    Prefetch(
                        "appointments",
                        queryset=appointment.objects.select_related("workshop", "worker"),
                    ),
                ),
            ),
            Prefetch("quotes", queryset=quote.objects.prefetch_related("lines")),
            "acceptances",
            "messages",
        )
        .order_by("id")
    )


def _appointment_data(a) -> dict:
    worker = f"{a.worker.first_name} {a.worker.last_name}" if a.worker else None
    return {
        "workshop": a.workshop.name,
        "worker": worker,
        "start": a.start,
        "end": a.end,
        "status": a.status,
    }


def _task_data(task, archive: Archive, folder: str) -> dict:
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
        "appointments": [_appointment_data(a) for a in task.appointments.all()],
        "photos": photos,
        "signatures": signatures,
    }


def _quote_data(quote, archive: Archive, render_quote) -> dict:
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
        "accepted_at": quote.accepted_at,
        "early_start_consent": quote.early_start_consent,
        "lines": [
            {
                "position": line.position,
                "kind": line.kind,
                "trade": line.trade,
                "text": line.text,
                "quantity": line.quantity,
                "unit": line.unit,
                "unit_price": line.unit_price,
                "net": line.net,
                "vat_rate": line.vat_rate,
            }
            for line in quote.lines.all()
        ],
        "file": archive.add(f"angebote/{filename}", content),
    }


def _package_data(customer: Customer, archive: Archive) -> list[dict]:
    render_quote = importlib.import_module("invoicing.quote_pdf").render_quote
    result = []
    for package in _packages(customer):
        folder = f"auftraege/{package.pk}"
        acceptances = []
        for acceptance in package.acceptances.all():
            path = archive.add_stored(f"{folder}/abnahme-{acceptance.pk}", acceptance.signature)
            acceptances.append(
                {
                    "outcome": acceptance.outcome,
                    "signer_name": acceptance.signer_name,
                    "date": acceptance.created_at,
                    "file": path,
                }
            )
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
                "tasks": [_task_data(t, archive, folder) for t in package.tasks.all()],
                "quotes": [_quote_data(q, archive, render_quote) for q in package.quotes.all()],
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


def _invoice_data(customer: Customer, archive: Archive) -> list[dict]:
    """Issued invoices (drafts are internal) with their archived PDF and XML."""
    render_documents = importlib.import_module("invoicing.documents").render_documents
    invoices = (
        _model("invoicing.Invoice")
        .objects.filter(customer=customer)
        .exclude(state="draft")
        .order_by("issue_date", "id")
    )
    result = []
    for invoice in invoices:
        documents = render_documents(invoice)
        files = [
            archive.add(f"rechnungen/{doc.filename}", bytes(doc.content))
            for doc in sorted(documents.values(), key=lambda d: d.kind)
        ]
        result.append(
            {
                "number": invoice.number,
                "kind": invoice.kind,
                "state": invoice.state,
                "title": invoice.title,
                "issuer": invoice.seller_name,
                "buyer_name": invoice.buyer_name,
                "issue_date": invoice.issue_date,
                "due_date": invoice.due_date,
                "performance": [invoice.performance_start, invoice.performance_end],
                "net_total": invoice.net_total,
                "tax_total": invoice.tax_total,
                "gross_total": invoice.gross_total,
                "paid_on": invoice.paid_on,
                "package": invoice.package_id,
                "files": files,
            }
        )
    return result


def export_data(user, customer: Customer | None) -> tuple[str, bytes]:
    """The person's data as ``(filename, zip bytes)``: ``daten.json`` (login, customer record,
    sites, requests, packages with tasks, appointments (who, when), quotes with lines, consents,
    invoices) and the documents it names (quote and invoice PDFs, e-invoice XML, photos and
    signatures). Only reads; archived invoice documents missing so far are rendered once, as
    everywhere. ``user`` is the customer's login, ``customer`` may be None for a login without a
    customer record."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zip_file:
        archive = Archive(zip_file)
        data = {
            "format": EXPORT_FORMAT,
            "generated_at": timezone.now(),
            "user": _user_data(user) if user is not None else None,
            "customer": None,
            "sites": [],
            "requests": [],
            "packages": [],
            "invoices": [],
        }
        if customer is not None:
            data |= {
                "customer": _customer_data(customer),
                "sites": [_site_data(s) for s in customer.sites.order_by("id")],
                "requests": _request_data(customer),
                "packages": _package_data(customer, archive),
                "invoices": _invoice_data(customer, archive),
            }
        document = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        archive.add("daten.json", document.encode())
    key = customer.pk if customer is not None else f"u{user.pk}"
    return f"zunft-daten-{key}-{timezone.localdate():%Y-%m-%d}.zip", buffer.getvalue()


# --- erasure --------------------------------------------------------------------------------------


class ErasureBlocked(Exception):
    """Open work keeps the data needed: each blocker names the package, quote or invoice."""

    def __init__(self, blockers: list[dict]):
        self.blockers = blockers
        super().__init__(
            "Löschung nicht möglich, solange offen: " + "; ".join(b["label"] for b in blockers)
        )


def erasure_blockers(customer: Customer) -> list[dict]:
    """Open packages, open quotes and unpaid invoices of the customer, each with a label."""
    blockers = [
        {
            "kind": "package",
            "id": p.pk,
            "status": p.status,
            "label": f"Auftrag #{p.pk} „{p.title}“ ({p.get_status_display()})",
        }
        for p in _model("jobs.Package")
        .objects.filter(customer=customer, status__in=OPEN_PACKAGE_STATUSES)
        .order_by("id")
    ]
    blockers += [
        {
            "kind": "quote",
            "id": q.pk,
            "status": q.status,
            "label": f"Angebot {q.package_id}-{q.version} (offen bis {q.valid_until:%d.%m.%Y})",
        }
        for q in _model("jobs.Quote")
        .objects.filter(package__customer=customer, status="open")
        .order_by("id")
    ]
    blockers += [
        {
            "kind": "invoice",
            "id": i.pk,
            "status": i.state,
            "label": f"Rechnung {i.number} (nicht bezahlt)",
        }
        for i in _model("invoicing.Invoice")
        .objects.filter(customer=customer, state="issued")
        .order_by("id")
    ]
    return blockers


def _blurred_location(site: Site) -> Point:
    """The postcode's centre, or the point rounded to about a kilometre."""
    found = geocode_postcode(site.postal_code, site.city)
    if found is not None:
        return Point(found.lon, found.lat, srid=4326)
    return Point(round(site.location.x, 2), round(site.location.y, 2), srid=4326)


def _erase_sites(customer: Customer) -> list[int]:
    site_ids = []
    for site in customer.sites.all():
        site.street, site.label, site.access_notes = "", "", ""
        site.location = _blurred_location(site)
        site.location_source = Site.Source.POSTCODE
        site.save(update_fields=["street", "label", "access_notes", "location", "location_source"])
        site_ids.append(site.pk)
    return site_ids


def _erase_field_evidence(customer: Customer, name: str) -> list[str]:
    """Photos go; signatures lose their image and signer, keeping the date as proof of the
    acceptance. Returns the stored files to delete once the transaction has committed."""
    files = []
    photos = _model("jobs.Photo").objects.filter(task__package__customer=customer)
    files += [p.image.name for p in photos if p.image]
    photos.delete()
    signatures = _model("jobs.Signature").objects.filter(task__package__customer=customer)
    files += [s.image.name for s in signatures if s.image]
    signatures.update(image="", signer_name=name)
    acceptances = _model("jobs.Acceptance").objects.filter(package__customer=customer)
    files += [a.signature.name for a in acceptances if a.signature]
    acceptances.update(signature="", signer_name=name)
    return files


def _erase_login(user, customer: Customer, name: str) -> None:
    now = timezone.now()
    user.username = f"deleted-{customer.pk}"
    user.first_name, user.last_name = "", name
    user.email = deleted_email(customer)
    user.phone = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    user.login_codes.all().delete()
    user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=now)
    _model("scheduling.FeedToken").objects.filter(owner=user, revoked_at__isnull=True).update(
        revoked_at=now
    )


def _redact_audit_log(customer: Customer, site_ids: list[int], user, name: str) -> int:
    """Keep who saw or changed what and when; drop the values that were recorded."""
    log_entry = get_logentry_model()
    type_of = ContentType.objects.get_for_model
    reprs = {type_of(Customer).pk: name, type_of(Site).pk: f"Standort von {name}"}
    match = Q(content_type=type_of(Customer), object_id=customer.pk) | Q(
        content_type=type_of(Site), object_id__in=site_ids
    )
    if user is not None:
        reprs[type_of(user).pk] = name
        match |= Q(content_type=type_of(user), object_id=user.pk)
        log_entry.objects.filter(actor=user).update(actor_email=None)
    entries = list(log_entry.objects.filter(match))
    for entry in entries:
        if isinstance(entry.changes, dict):
            entry.changes = {field: [REDACTED, REDACTED] for field in entry.changes}
        entry.changes_text = ""
        entry.serialized_data = None
        entry.object_repr = reprs[entry.content_type_id]
    log_entry.objects.bulk_update(
        entries, ["changes", "changes_text", "serialized_data", "object_repr"]
    )
    return len(entries)


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:  # the row is gone already; a stray file is found by a storage sweep
            logger.exception("erasure: could not delete %s", name)


def erase_customer(customer: Customer, *, actor) -> dict:
    """Erase a customer's personal data (Art. 17), keeping what retention law requires.

    Refuses with ``ErasureBlocked`` while packages, quotes or invoices are open. Otherwise, in one
    transaction: names become ``Gelöschte Person #id``, the email ``deleted-<id>@invalid``, phone
    and street go, sites keep only postcode and city (the pin moves to the postcode's centre),
    access notes, request descriptions, message texts, photos and signature images go, the login
    is disabled with its login codes, API tokens and calendar feeds revoked, and earlier audit
    entries lose
    their values; one audit entry records the erasure and its actor. Invoice rows are not touched.
    Stored files are deleted after commit. Locks the customer row ``FOR UPDATE``, which also
    holds off new packages for the customer (their foreign key check needs a share lock on it).
    """
    with transaction.atomic():
        customer = (
            Customer.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=customer.pk)
        )
        blockers = erasure_blockers(customer)
        if blockers:
            raise ErasureBlocked(blockers)
        name = pseudonym(customer)
        user = customer.user
        with disable_auditlog():  # the log must not keep the old values it would record
            for field in ("first_name", "company", "phone", "street"):
                setattr(customer, field, "")
            customer.last_name = name
            if customer.kind != Customer.Kind.PRIVATE:
                customer.company = name
            customer.email = deleted_email(customer)
            customer.save()
            site_ids = _erase_sites(customer)
            _model("jobs.Request").objects.filter(customer=customer).update(description="")
            _model("jobs.Request").objects.filter(customer=customer, status="new").update(
                status="declined"
            )
            # Messages may name people and places in free text: the texts go, the fact stays.
            _model("jobs.Message").objects.filter(package__customer=customer).update(body=REDACTED)
            files = _erase_field_evidence(customer, name)
            if user is not None:
                _erase_login(user, customer, name)
        redacted = _redact_audit_log(customer, site_ids, user, name)
        log_entry = get_logentry_model()
        log_entry.objects.log_create(
            customer,
            action=log_entry.Action.UPDATE,
            changes={"erasure": ["", "DSGVO Art. 17"]},
            actor=actor,
            actor_email=None if actor == user else getattr(actor, "email", None),
            additional_data={"erasure": True, "files": len(files), "redacted": redacted},
            force_log=True,
        )
        transaction.on_commit(lambda: _delete_files(files))
    logger.info("erased customer %s (%s files, %s log entries)", customer.pk, len(files), redacted)
    return {"customer": customer.pk, "pseudonym": name, "kept": KEPT}
