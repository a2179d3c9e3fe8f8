"""Data protection for customers: export (DSGVO Art. 15/20), erasure (Art. 17), the audit log.

A person's data lives in the apps above this one too (requests, packages, quotes and field
evidence in ``jobs``, appointments in ``scheduling``, invoices in ``invoicing``), but imports only
go downwards (DESIGN.md §3): each of those apps registers its part of the export and the erasure
here from its ``AppConfig.ready`` (``register_privacy_source``, in ``<app>/privacy.py``).

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

import io
import json
import logging
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from auditlog import get_logentry_model
from auditlog.cid import get_cid
from auditlog.context import disable_auditlog
from auditlog.middleware import AuditlogMiddleware
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.contrib.gis.geos import Point
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from customers.geocoding import geocode_postcode
from customers.models import Customer, Site

logger = logging.getLogger(__name__)

EXPORT_FORMAT = "zunft-export/1"
REDACTED = "[gelöscht]"
# Kept on erasure, with the reason; also shown to the person in the API answer.
KEPT = [
    "Ausgestellte Rechnungen mit Käuferdaten, Zahlungen, Mahnungen (§147 AO, §14b UStG: 8 Jahre)",
    "Einwilligungen als Nachweis (Art. 7 Abs. 1 DSGVO), ohne personenbezogene Daten",
    "Aufträge, Angebote und Termine ohne personenbezogene Daten (Buchhaltung, Gewährleistung)",
    "Protokoll: wer wann welche Daten gesehen oder geändert hat, ohne die Werte",
]


def pseudonym(customer: Customer) -> str:
    return f"Gelöschte Person #{customer.pk}"


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
    """Mix into a ``ModelAdmin``: opening a record's page in the admin is logged as an access
    to the records ``accessed_records`` names (the record itself unless overridden)."""

    access_log_via = "admin"

    def accessed_records(self, obj) -> list:
        """Whose data the page shows: an admin of an order overrides this to name its customer."""
        return [obj]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None:
                record_access(request, self.accessed_records(obj), via=self.access_log_via)
        return response


class AuditActorMiddleware(AuditlogMiddleware):
    """auditlog's middleware reads ``request.user`` before the view runs, so a change made with
    an API token (django-ninja authenticates inside the view) would be logged without its actor.
    This one looks the actor up when the first log entry of the request is written."""

    def get_extra_data(self, request):
        data = super().get_extra_data(request)
        data["actor"] = SimpleLazyObject(lambda: self._get_actor(request))
        return data


# --- the apps' parts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    """What an app's eraser is given: the customer (locked and already pseudonymised), their login
    (already disabled; None without one), the pseudonym to put where a name was, and the time
    to record as revocation time."""

    customer: Customer
    user: object | None
    pseudonym: str
    at: datetime


Section = Callable[[Customer, "Archive"], list]
Blockers = Callable[[Customer], list[dict]]
Eraser = Callable[[Erasure], list[str]]


@dataclass(frozen=True)
class PrivacySource:
    export: Mapping[str, Section]
    blockers: Blockers | None
    erase: Eraser | None


# Keys of daten.json written here, not by a source.
OWN_KEYS = ("format", "generated_at", "user", "customer", "sites")
_sources: dict[str, PrivacySource] = {}


def register_privacy_source(
    name: str,
    *,
    export: Mapping[str, Section] | None = None,
    blockers: Blockers | None = None,
    erase: Eraser | None = None,
) -> None:
    """Add an app's part of a person's data; called from the app's ``AppConfig.ready``.

    ``export`` maps keys of ``daten.json`` to ``section(customer, archive) -> list`` (a login
    without a customer record gets an empty list under each key); ``blockers(customer)`` lists
    the open work that refuses erasure (dicts with kind, id, status and label);
    ``erase(erasure)`` runs inside the erasure's transaction, with the audit log off, and
    returns the stored files to delete after commit. Sources run in the order they were first
    registered (INSTALLED_APPS order), which is also the order of their keys in the export;
    registering a name again replaces it in place, so ``ready()`` may run twice.
    """
    export = dict(export or {})
    taken = {key for other, s in _sources.items() if other != name for key in s.export}
    clash = sorted(export.keys() & (taken | set(OWN_KEYS)))
    if clash:
        raise ImproperlyConfigured(f"privacy source {name!r}: export keys {clash} are taken")
    _sources[name] = PrivacySource(export, blockers, erase)


def export_keys() -> list[str]:
    """The keys of ``daten.json``, in order."""
    return [*OWN_KEYS, *(key for source in _sources.values() for key in source.export)]


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
        "language": customer.language,
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


def export_data(user, customer: Customer | None) -> tuple[str, bytes]:
    """The person's data as ``(filename, zip bytes)``: ``daten.json`` (login, customer record,
    sites, then what the registered sources add: requests, packages with tasks, appointments
    (who, when), quotes with lines, consents, invoices) and the documents it names (quote and
    invoice PDFs, e-invoice XML, photos and signatures). Only reads; archived invoice documents
    missing so far are rendered once, as everywhere. ``user`` is the customer's login,
    ``customer`` may be None for a login without a customer record."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zip_file:
        archive = Archive(zip_file)
        data = {
            "format": EXPORT_FORMAT,
            "generated_at": timezone.now(),
            "user": _user_data(user) if user is not None else None,
            "customer": None,
            "sites": [],
        }
        sections = [(key, fn) for source in _sources.values() for key, fn in source.export.items()]
        data |= {key: [] for key, _fn in sections}
        if customer is not None:
            data |= {
                "customer": _customer_data(customer),
                "sites": [_site_data(s) for s in customer.sites.order_by("id")],
            }
            data |= {key: fn(customer, archive) for key, fn in sections}
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
            _("Erasure is not possible while these are open: %s")
            % "; ".join(b["label"] for b in blockers)
        )


def erasure_blockers(customer: Customer) -> list[dict]:
    """Open packages, open quotes and unpaid invoices of the customer, each with a label (as the
    registered sources report them, in their order)."""
    return [
        blocker
        for source in _sources.values()
        if source.blockers is not None
        for blocker in source.blockers(customer)
    ]


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


def _erase_login(user, customer: Customer, name: str, now: datetime) -> None:
    user.username = f"deleted-{customer.pk}"
    user.first_name, user.last_name = "", name
    user.email = ""
    user.phone = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    user.login_codes.all().delete()
    user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=now)


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
    transaction: names become ``Gelöschte Person #id``, the email, phone
    and street go, sites keep only postcode and city (the pin moves to the postcode's centre),
    access notes go, the login is disabled with its login codes and API tokens revoked; then the
    registered sources erase their parts (request descriptions, message texts, photos and
    signature images, calendar feeds; invoice rows are not touched), and earlier audit entries
    lose their values; one audit entry records the erasure and its actor. Stored files are
    deleted after commit. Locks the customer row ``FOR UPDATE``, which also
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
            customer.email = ""  # no placeholder address a mail could be sent to
            customer.save()
            site_ids = _erase_sites(customer)
            now = timezone.now()
            if user is not None:
                _erase_login(user, customer, name, now)
            erasure = Erasure(customer, user, name, now)
            files = [
                stored
                for source in _sources.values()
                if source.erase is not None
                for stored in source.erase(erasure)
            ]
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
