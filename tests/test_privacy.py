"""Data protection: export (Art. 15/20), erasure (Art. 17) and the audit log.

This module is also the URLconf of its tests: the project's URLs plus an admin site whose
customer pages log who looked at them.
"""

import io
import json
import uuid
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

import auditlog.conf  # noqa: F401 - puts auditlog's defaults on the real settings
import pytest
import time_machine
from django.contrib import admin
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.urls import path

import zunft.urls
from customers.admin import CustomerAdmin
from customers.models import Customer, Site

pytestmark = pytest.mark.urls(__name__)


test_admin = admin.AdminSite(name="privacy-admin")
test_admin.register(Customer, CustomerAdmin)


urlpatterns = [
    path("pruef-admin/", test_admin.urls),
    *zunft.urls.urlpatterns,
]


# --- helpers --------------------------------------------------------------------------------------

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)
TODAY = date(2026, 3, 2)


def log_entries():
    from auditlog import get_logentry_model

    return get_logentry_model().objects


def entries_for(obj):
    """Newest first (the clock is frozen, so by id)."""
    return log_entries().get_for_object(obj).order_by("-id")


def verified_login(client, user):
    """A session that has given its second factor (as the verify page leaves it)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="Telefon", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def frozen():
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False):
        yield TODAY


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def world(db, frozen):
    from invoicing import samples
    from tests import factories as f

    f.PostalCodeFactory()  # 26169 Friesoythe: where erased sites move to
    return samples.build_world()


def make_customer(user, first, last, email, street="Lange Straße 5"):
    customer = Customer.objects.create(
        kind=Customer.Kind.PRIVATE,
        user=user,
        first_name=first,
        last_name=last,
        email=email,
        phone="04491 12345",
        street=street,
        postal_code="26169",
        city="Friesoythe",
    )
    site = Site.objects.create(
        customer=customer,
        label="Elternhaus",
        street=street,
        postal_code="26169",
        city="Friesoythe",
        state="NI",
        location=Point(7.86123, 53.02345, srid=4326),
        access_notes="Schlüssel bei Familie Tebben, Hausnummer 7",
    )
    return customer, site


def finished_package(world, customer, site, title: str, status="done"):
    """A package with one electrics task; when done, billed and the invoice issued."""
    from invoicing import services
    from jobs.models import Package, Task

    start = TODAY - timedelta(days=21)
    package = Package.objects.create(
        customer=customer, site=site, title=title, status=status, earliest_start=start
    )
    task = Task.objects.create(
        package=package,
        code="elektro",
        name_de="Elektroinstallation Bad",
        name_en="Electrics bathroom",
        trade=world.trades["elektro"],
        duration_hours=Decimal(8),
        material_cost=Decimal("236.75"),
        status="done" if status == "done" else "planned",
    )
    if status != "done":
        return package, task, None
    billing = services.TaskBilling(
        task=task, workshop=world.elektro, travel_km=Decimal(12), performed=(start, start)
    )
    invoice = services.issue_invoice(
        services.generate_package_invoice(package, billings=[billing]), issue_date=TODAY
    )
    return package, task, invoice


def add_quote(package, status="accepted"):
    from jobs.models import Quote, QuoteLine

    quote = Quote.objects.create(
        package=package,
        version=1,
        status=status,
        valid_until=TODAY + timedelta(days=30),
        net=Decimal("492.00"),
        vat=Decimal("93.48"),
        gross=Decimal("585.48"),
        labour_gross=Decimal("585.48"),
        tax_reduction=Decimal("117.10"),
    )
    QuoteLine.objects.create(
        quote=quote,
        position=1,
        kind="labour",
        trade="Elektrotechnik",
        text="Elektroinstallation Bad",
        quantity=Decimal(8),
        unit="h",
        unit_price=Decimal("61.50"),
        net=Decimal("492.00"),
        vat_rate=Decimal("19.00"),
    )
    return quote


def add_field_evidence(task, workshop, worker_user):
    from jobs.models import Photo, Signature
    from scheduling.models import Appointment
    from trades.models import Worker

    worker = Worker.objects.create(
        workshop=workshop, user=worker_user, first_name="Anton", last_name="Alberts"
    )
    start = datetime(2026, 2, 9, 7, 0).astimezone()
    Appointment.objects.create(
        task=task,
        workshop=worker.workshop,
        worker=worker,
        start=start,
        end=start + timedelta(hours=8),
        status="accepted",
    )
    photo = Photo.objects.create(
        client_id=uuid.uuid4(),
        task=task,
        image=ContentFile(PNG, name="bad.png"),
        caption="Verteilung vorher",
        created_by=worker_user,
    )
    signature = Signature.objects.create(
        client_id=uuid.uuid4(),
        task=task,
        image=ContentFile(PNG, name="sig.png"),
        signer_name="Hanna Hüsing",
        signed_at=start + timedelta(hours=8),
        created_by=worker_user,
    )
    return photo, signature


@pytest.fixture
def people(world, media, django_user_model):
    """Hanna (homeowner, finished job with everything), Heinz (another homeowner with his own
    job), Olga (office), Alice (workshop admin)."""
    from zunft.core.models import Consent

    make = django_user_model.objects.create_user
    hanna = make("hanna", email="hanna@example.org", role="homeowner", first_name="Hanna")
    heinz = make("heinz", email="heinz@example.org", role="homeowner", first_name="Heinz")
    olga = make("olga", email="olga@zunft.example", password="pw", role="office")
    alice = make("alice", email="alice@zunft.example", password="pw", role="workshop_admin")
    anton = make("anton", password="pw", role="tradesperson")
    customer, site = make_customer(hanna, "Hanna", "Hüsing", "hanna@example.org")
    package, task, invoice = finished_package(world, customer, site, "Bad komplett – Hüsing")
    quote = add_quote(package)
    photo, signature = add_field_evidence(task, world.elektro, anton)
    Consent.objects.create(user=hanna, kind="privacy", text_version="2026-1")
    Consent.objects.create(user=hanna, kind="early_start", text_version="2026-1", subject="x")
    from jobs.models import Message

    Message.objects.create(
        package=package,
        thread="homeowner",
        sender="homeowner",
        author=hanna,
        body="Der Schlüssel liegt bei Frau Janssen nebenan.",
    )
    Message.objects.create(
        package=package,
        thread="workshop",
        workshop=world.elektro,
        sender="office",
        body="Intern: Material kommt Dienstag.",
    )
    other, other_site = make_customer(heinz, "Heinz", "Hots", "heinz@example.org", "Moorweg 9")
    other_package, _task, other_invoice = finished_package(
        world, other, other_site, "Wallbox Garage – Hots"
    )
    from types import SimpleNamespace

    return SimpleNamespace(**locals())


def text_of(name: str, content: bytes) -> str:
    from pypdf import PdfReader

    if name.endswith(".pdf"):
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    if name.endswith((".json", ".xml")):
        return content.decode()
    return ""


def read_zip(response) -> tuple[dict, dict[str, bytes]]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    files = {name: archive.read(name) for name in archive.namelist()}
    return json.loads(files["daten.json"]), files


# --- export ---------------------------------------------------------------------------------------

EXPORT = "/api/v1/privacy/export"
ERASURE = "/api/v1/privacy/erasure"


def test_it_exports_a_homeowners_data_with_their_documents(people, api_as):
    data, files = read_zip(api_as(people.hanna).get(EXPORT))

    assert data["format"] == "zunft-export/1"
    assert data["user"]["email"] == "hanna@example.org"
    assert {c["kind"] for c in data["user"]["consents"]} == {"privacy", "early_start"}
    assert data["customer"]["last_name"] == "Hüsing"
    assert data["sites"][0]["access_notes"].startswith("Schlüssel")
    [package] = data["packages"]
    assert package["title"] == "Bad komplett – Hüsing"
    [task] = package["tasks"]
    [appointment] = task["appointments"]
    assert appointment["workshop"] == "Elektro Janßen"
    assert appointment["worker"] == "Anton Alberts"
    assert appointment["start"].startswith("2026-02-09")
    [quote] = package["quotes"]
    assert quote["lines"][0]["text"] == "Elektroinstallation Bad"
    # Her thread with the office, not the office's thread with the workshop.
    assert [m["text"] for m in package["messages"]] == [
        "Der Schlüssel liegt bei Frau Janssen nebenan."
    ]
    assert files[quote["file"]].startswith(b"%PDF")
    assert files[task["photos"][0]["file"]] == PNG
    assert files[task["signatures"][0]["file"]] == PNG
    [invoice] = data["invoices"]
    assert invoice["number"] == people.invoice.number
    pdf, xml = sorted(invoice["files"])
    assert files[pdf].startswith(b"%PDF") and b"CrossIndustryInvoice" in files[xml]


def test_an_export_never_contains_another_homeowners_data(people, api_as):
    client = api_as(people.hanna)
    _data, files = read_zip(client.get(EXPORT))
    everything = "\n".join(text_of(name, content) for name, content in files.items())
    for foreign in ("Heinz", "Hots", "heinz@example.org", "Moorweg", "Wallbox"):
        assert foreign not in everything
    assert people.other_invoice.number not in everything
    assert not any(people.other_invoice.number in name for name in files)
    # Asking for his customer id by number is refused, not answered with her own data.
    assert client.get(EXPORT, {"customer_id": people.other.pk}).status_code == 404


def test_the_office_exports_for_a_customer_and_the_read_is_logged(people, client):
    from auditlog import get_logentry_model

    verified_login(client, people.olga)
    data, _files = read_zip(client.get(EXPORT, {"customer_id": people.other.pk}))
    assert data["customer"]["last_name"] == "Hots"
    assert data["user"]["email"] == "heinz@example.org"

    entry = log_entries().get(action=get_logentry_model().Action.ACCESS)
    assert (entry.actor, entry.object_id, entry.additional_data) == (
        people.olga,
        people.other.pk,
        {"via": "privacy-export"},
    )


def test_a_workshop_admin_cannot_export_a_customer(people, client):
    verified_login(client, people.alice)
    assert client.get(EXPORT, {"customer_id": people.customer.pk}).status_code == 404


def test_an_export_needs_a_login(people, api_as):
    assert api_as(None).get(EXPORT).status_code == 401


# --- erasure --------------------------------------------------------------------------------------


def test_erasure_must_be_confirmed(people, api_as):
    response = api_as(people.hanna).post(ERASURE, {}, content_type="application/json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "confirm"
    assert Customer.objects.get(pk=people.customer.pk).last_name == "Hüsing"


def test_open_work_blocks_erasure_and_is_named(people, world, api_as):
    open_package, _task, _none = finished_package(
        world, people.customer, people.site, "Dach – Hüsing", status="accepted"
    )
    quote = add_quote(open_package, status="open")  # and the finished job's invoice is unpaid
    response = api_as(people.hanna).post(ERASURE, {"confirm": True}, "application/json")

    assert response.status_code == 409
    body = response.json()
    kinds = {(b["kind"], b["id"]) for b in body["blockers"]}
    assert ("package", open_package.pk) in kinds
    assert ("invoice", people.invoice.pk) in kinds
    assert ("quote", quote.pk) in kinds
    assert f"Auftrag #{open_package.pk} „Dach – Hüsing“" in body["detail"]
    assert Customer.objects.get(pk=people.customer.pk).last_name == "Hüsing"


def test_erasure_pseudonymises_and_keeps_what_the_law_requires(
    people, api_as, media, django_capture_on_commit_callbacks
):
    from auditlog import get_logentry_model

    from invoicing.documents import build_pdf
    from invoicing.models import Invoice
    from invoicing.services import mark_paid
    from jobs.models import Photo, Signature
    from zunft.core.auth import issue_token
    from zunft.core.login import send_login_code
    from zunft.core.models import ApiToken, Consent, LoginCode

    mark_paid(people.invoice, paid_on=TODAY)
    _token, secret = issue_token(people.hanna, "Kalender-App")
    send_login_code(people.hanna)
    photo_file = media / people.photo.image.name
    assert photo_file.exists()
    from jobs.models import Acceptance

    signed = Acceptance(package=people.package, outcome="approved", signer_name="Hanna Hüsing")
    signed.signature.save("s.png", ContentFile(PNG), save=False)
    signed.protocol.save("p.pdf", ContentFile(b"%PDF-1.7 Hanna"), save=False)
    signed.save()
    protocol_file = media / signed.protocol.name
    assert protocol_file.exists()
    before = Invoice.objects.values().get(pk=people.invoice.pk)
    client = api_as(people.hanna)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ERASURE, {"confirm": True}, "application/json")

    assert response.status_code == 200, response.content
    name = f"Gelöschte Person #{people.customer.pk}"
    assert response.json()["pseudonym"] == name
    customer = Customer.objects.get(pk=people.customer.pk)
    assert (customer.display_name, customer.email, customer.phone, customer.street) == (
        name,
        "",
        "",
        "",
    )
    site = Site.objects.get(pk=people.site.pk)
    assert (site.street, site.label, site.access_notes) == ("", "", "")
    assert (site.postal_code, site.city) == ("26169", "Friesoythe")
    assert (site.location.x, site.location.y) == (7.8590, 53.0207)  # the postcode's centre
    assert not Photo.objects.filter(pk=people.photo.pk).exists()
    assert not photo_file.exists()
    signature = Signature.objects.get(pk=people.signature.pk)
    assert (signature.image.name, signature.signer_name) == ("", name)
    assert signature.signed_at == people.signature.signed_at  # proof of the acceptance stays
    signed.refresh_from_db()  # the stored protocol shows her name and signature: it goes too
    assert (signed.protocol.name, signed.signature.name, signed.signer_name) == ("", "", name)
    assert not protocol_file.exists()
    from jobs.models import Message

    assert set(Message.objects.filter(package=people.package).values_list("body", flat=True)) == {
        "[gelöscht]"
    }

    user = type(people.hanna).objects.get(pk=people.hanna.pk)
    assert not user.is_active and not user.has_usable_password()
    assert (user.email, user.get_full_name()) == ("", name)
    assert not LoginCode.objects.filter(user=user).exists()
    assert not ApiToken.objects.filter(user=user, revoked_at__isnull=True).exists()
    assert Consent.objects.filter(user=user).count() == 2

    # The issued invoice is untouched and still renders with the buyer it was issued to.
    assert Invoice.objects.values().get(pk=people.invoice.pk) == before
    invoice = Invoice.objects.get(pk=people.invoice.pk)
    assert invoice.buyer_name == "Hanna Hüsing"
    assert build_pdf(invoice).startswith(b"%PDF")

    # Logged out, and neither the session nor the token works any more.
    assert client.get(EXPORT).status_code == 401
    assert api_as(None).get(EXPORT, HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401

    # The audit log keeps who changed what and when, but none of the old values.
    entries = log_entries().filter(object_repr=name)
    dumped = json.dumps(list(entries.values("changes", "changes_text", "object_repr")))
    assert "Hüsing" not in dumped and "hanna@example.org" not in dumped
    erasure = entries.get(additional_data__erasure=True)
    assert (erasure.actor, erasure.action) == (user, get_logentry_model().Action.UPDATE)
    # Heinz is untouched.
    assert Customer.objects.get(pk=people.other.pk).last_name == "Hots"


def test_the_office_erases_for_a_customer(people, client):
    from invoicing.services import mark_paid

    mark_paid(people.other_invoice, paid_on=TODAY)
    verified_login(client, people.olga)
    response = client.post(
        ERASURE, {"customer_id": people.other.pk, "confirm": True}, "application/json"
    )
    assert response.status_code == 200, response.content
    assert Customer.objects.get(pk=people.other.pk).last_name.startswith("Gelöschte Person")
    assert Customer.objects.get(pk=people.customer.pk).last_name == "Hüsing"


def test_a_homeowner_cannot_erase_someone_else(people, api_as):
    response = api_as(people.hanna).post(
        ERASURE, {"customer_id": people.other.pk, "confirm": True}, "application/json"
    )
    assert response.status_code == 404
    assert Customer.objects.get(pk=people.other.pk).last_name == "Hots"


# --- audit log ------------------------------------------------------------------------------------


def test_a_change_is_logged_with_its_actor_by_session_and_by_token(people, client, api_as):
    from auditlog import get_logentry_model

    from zunft.core.auth import issue_token

    update = get_logentry_model().Action.UPDATE
    verified_login(client, people.olga)
    response = client.patch(
        f"/api/v1/customers/{people.other.pk}", {"phone": "0441 999"}, "application/json"
    )
    assert response.status_code == 200, response.content
    entry = entries_for(people.other).filter(action=update).first()
    assert entry.actor == people.olga
    assert entry.changes_dict["phone"] == ["04491 12345", "0441 999"]

    _token, secret = issue_token(people.olga, "Skript", scope="write")
    response = api_as(None).patch(
        f"/api/v1/customers/{people.other.pk}",
        {"phone": "0441 777"},
        "application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200, response.content
    entry = entries_for(people.other).filter(action=update).first()
    assert (entry.actor, entry.changes_dict["phone"]) == (people.olga, ["0441 999", "0441 777"])


def test_bank_data_invoice_state_and_roles_are_logged(people, world):
    from auditlog import get_logentry_model
    from auditlog.context import set_actor

    from invoicing.services import mark_paid

    update = get_logentry_model().Action.UPDATE
    with set_actor(people.olga):
        world.elektro.iban = "DE02120300000000202051"
        world.elektro.save()
        mark_paid(people.invoice, paid_on=TODAY)
        people.alice.role = "office"
        people.alice.save()

    iban = entries_for(world.elektro).get(action=update, changes__has_key="iban")
    assert iban.actor == people.olga
    assert "DE02120300000000202051" not in json.dumps(iban.changes)  # masked
    paid, issued = entries_for(people.invoice).filter(action=update)
    assert (issued.changes_dict["state"], paid.changes_dict["state"]) == (
        ["draft", "issued"],
        ["issued", "paid"],
    )
    assert paid.actor == people.olga
    role = entries_for(people.alice).get(action=update)
    assert (role.actor, role.changes_dict["role"]) == (people.olga, ["workshop_admin", "office"])


def test_the_admin_finds_a_customer_by_her_phone_number_in_any_spelling(people, client):
    people.olga.is_staff = people.olga.is_superuser = True
    people.olga.save()
    Customer.objects.filter(pk=people.customer.pk).update(phone="+49 4471 123456")
    verified_login(client, people.olga)
    for typed in ("04471 123456", "4471123456", "Hüsing"):
        response = client.get("/pruef-admin/customers/customer/", {"q": typed})
        found = list(response.context["cl"].queryset)
        assert found == [people.customer], typed


def test_opening_a_customer_in_the_admin_is_logged(people, client):
    from auditlog import get_logentry_model

    people.olga.is_staff = people.olga.is_superuser = True
    people.olga.save()
    verified_login(client, people.olga)
    response = client.get(f"/pruef-admin/customers/customer/{people.customer.pk}/change/")
    assert response.status_code == 200
    entry = log_entries().get(action=get_logentry_model().Action.ACCESS)
    assert (entry.actor, entry.object_id, entry.additional_data["via"]) == (
        people.olga,
        people.customer.pk,
        "admin",
    )


def test_a_homeowner_reading_their_own_data_is_not_an_access_to_log(people, api_as):
    from auditlog import get_logentry_model

    read_zip(api_as(people.hanna).get(EXPORT))
    assert not log_entries().filter(action=get_logentry_model().Action.ACCESS).exists()


def test_the_homeowner_downloads_or_erases_her_data_on_her_own_page(
    people, client, django_capture_on_commit_callbacks
):
    from invoicing.services import mark_paid

    client.force_login(people.hanna)
    assert 'data-testid="my-data-link"' in client.get("/meine-auftraege/").content.decode()
    page = client.get("/meine-daten/").content.decode()
    assert 'href="/api/v1/privacy/export"' in page
    # The unpaid invoice keeps her data for now: said, and no form offered.
    assert f"Rechnung {people.invoice.number} (nicht bezahlt)" in page
    assert 'data-testid="erasure-form"' not in page
    english = client.get("/en/meine-daten/").content.decode()
    assert f"Invoice {people.invoice.number} (unpaid)" in english  # the page's language
    assert client.post("/meine-daten/", {"confirm": "on"}).status_code == 200
    assert Customer.objects.get(pk=people.customer.pk).last_name == "Hüsing"

    mark_paid(people.invoice, paid_on=TODAY)
    assert 'data-testid="erasure-form"' in client.get("/meine-daten/").content.decode()
    unconfirmed = client.post("/meine-daten/", {})
    assert unconfirmed.status_code == 422
    assert "Haken" in unconfirmed.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post("/meine-daten/", {"confirm": "on"})
    assert (done.status_code, done.url) == (302, "/")
    assert Customer.objects.get(pk=people.customer.pk).last_name.startswith("Gelöschte Person")
    assert client.get("/meine-daten/").status_code == 302  # logged out


def test_the_export_carries_each_abnahme_protocol(people, api_as):
    """Stored as signed when there is one; an older one as it reads now."""
    from jobs.models import Acceptance

    older = Acceptance.objects.create(
        package=people.package, outcome="approved", signer_name="Hanna Hüsing"
    )
    signed = Acceptance(package=people.package, outcome="approved", signer_name="Hanna Hüsing")
    signed.protocol.save("p.pdf", ContentFile(b"%PDF-1.7 as signed"), save=False)
    signed.save()

    data, files = read_zip(api_as(people.hanna).get(EXPORT))
    [package] = data["packages"]
    protocols = {a["protocol"] for a in package["acceptances"]}
    assert files[f"auftraege/{people.package.pk}/abnahme-{signed.pk}.pdf"] == b"%PDF-1.7 as signed"
    rendered = next(p for p in protocols if p.endswith(f"abnahme-{older.pk}.pdf"))
    assert files[rendered].startswith(b"%PDF")


def test_the_export_holds_the_defects_she_reported_at_the_abnahme(people, api_as):
    """Her own words about each defect, for the task it concerns, when she reported it and how
    far its rework has come; not only inside the protocol PDF (Art. 20: machine-readable)."""
    from jobs.models import Acceptance, Defect, Task

    reported = Acceptance.objects.create(
        package=people.package, outcome="defects", signer_name="Hanna Hüsing"
    )
    rework = Task.objects.create(
        package=people.package,
        code="nacharbeit-elektro",
        name_de="Nacharbeit: Elektroinstallation Bad",
        name_en="Rework: electrics bathroom",
        trade=people.task.trade,
        duration_hours=Decimal(2),
        status="planned",
    )
    Defect.objects.create(
        acceptance=reported,
        task=people.task,
        description="Steckdose am Waschtisch sitzt schief.",
        rework=rework,
    )
    Defect.objects.create(acceptance=reported, task=people.task, description="Abdeckung fehlt.")

    data, _files = read_zip(api_as(people.hanna).get(EXPORT))
    [package] = data["packages"]
    [acceptance] = package["acceptances"]
    assert acceptance["outcome"] == "defects"
    assert acceptance["defects"] == [
        {
            "task": "elektro",
            "task_name": "Elektroinstallation Bad",
            "text": "Steckdose am Waschtisch sitzt schief.",
            "reported_at": acceptance["date"],
            "rework_status": "planned",
        },
        {
            "task": "elektro",
            "task_name": "Elektroinstallation Bad",
            "text": "Abdeckung fehlt.",
            "reported_at": acceptance["date"],
            "rework_status": None,
        },
    ]
    assert acceptance["date"].startswith("2026-03-02")
