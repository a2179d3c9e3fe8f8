"""The Django admin: in the office's language throughout, and the order lookups (packages,
requests, quotes, a customer's orders) shown as the services left them, changed nowhere here."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from jobs.models import Package, Request
from jobs.services import book_package, create_quote
from jobs.supplements import propose_supplement
from tests.test_planner_integration import bathroom  # noqa: F401 - fixture


@pytest.fixture
def verbund(coop, django_user_model):
    """The cooperative's administrator, with every right in the admin (and a second factor)."""
    user = django_user_model.objects.create_superuser(
        "volker", "volker@zunft.example", "pw", role="coop_admin"
    )
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def hannas_order(coop, bathroom):  # noqa: F811
    """Hanna's bathroom, asked for and quoted."""
    package = book_package(
        customer=coop.hanna_site.customer,
        site=coop.hanna_site,
        template=bathroom,
        values={"area": 8},
        earliest_start=timezone.localdate() + dt.timedelta(days=30),
    )
    request = Request.objects.create(
        customer=package.customer,
        site=package.site,
        template=bathroom,
        earliest_start=package.earliest_start,
        package=package,
        status=Request.Status.QUOTED,
    )
    return package, request, create_quote(package)


def sections(page: str) -> list[str]:
    """The app headings of the admin's start page (and of its side bar)."""
    return re.findall(r'class="section"[^>]*>([^<]+)</a>', page)


def test_the_admin_names_every_app_and_model_in_german(verbund):
    page = verbund.get("/admin/").content.decode()
    headings = set(sections(page))
    assert {
        "Kunden",
        "Aufträge",
        "Änderungs- und Zugriffsprotokoll",
        "Zweiter Faktor: Notfallcodes",
        "Zweiter Faktor: Authenticator-Apps",
    } <= headings
    for english in ("Customers", "Jobs", "Audit log", "Otp_Static", "Otp_Totp"):
        assert english not in headings
    assert "Authenticator-Apps</a>" in page and "Notfallcode-Sätze</a>" in page
    assert "TOTP devices" not in page and "Static devices" not in page

    customers = verbund.get("/admin/customers/customer/").content.decode()
    assert "Display name" not in customers and ">Name</a>" in customers
    assert re.search(r"Start</a>\s*&rsaquo; <a [^>]*>Kunden</a>\s*&rsaquo; Kunden\s", customers)


def test_a_customers_page_lists_her_orders_each_opening_as_it_is(verbund, coop, hannas_order):
    package, _request, quote = hannas_order
    customer = coop.hanna_site.customer
    page = verbund.get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()
    assert f'href="/admin/jobs/package/{package.pk}/change/"' in page
    assert "Bad" in page and "Angebot erstellt" in page

    page = verbund.get(f"/admin/jobs/package/{package.pk}/change/").content.decode()
    # Its tasks and quote beside it, the labels in German.
    for task in package.tasks.all():
        assert task.name_de in page
    assert f'href="/admin/jobs/quote/{quote.pk}/change/"' in page
    for label in ("Kunde:", "Objekt:", "Paketvorlage:"):
        assert f"<label>{label}</label>" in page
    assert 'name="_save"' not in page


@pytest.mark.parametrize("model", ["package", "request", "quote"])
def test_orders_requests_and_quotes_are_looked_up_not_changed(verbund, hannas_order, model):
    """Status, versions and dates follow the services (acceptance, decline, revision, the
    planner): the admin shows them and refuses to add, change or delete."""
    package, request, quote = hannas_order
    obj = {"package": package, "request": request, "quote": quote}[model]
    url = f"/admin/jobs/{model}/"
    listing = verbund.get(url)
    assert listing.status_code == 200 and f"{url}{obj.pk}/change/" in listing.content.decode()
    # Found by her name, or by the package's number (as on the phone: "Auftrag 17").
    for term in (package.customer.last_name, str(package.pk)):
        found = verbund.get(url, {"q": term})
        assert found.status_code == 200 and f"{url}{obj.pk}/change/" in found.content.decode()
    assert verbund.get(f"{url}{obj.pk}/change/").status_code == 200
    assert verbund.post(f"{url}{obj.pk}/change/", {"status": "accepted"}).status_code == 403
    assert verbund.get(f"{url}add/").status_code == 403
    assert verbund.post(f"{url}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    obj.refresh_from_db()
    assert obj.status != "accepted"


@pytest.mark.parametrize("model", ["package", "request", "quote"])
def test_opening_an_order_in_the_admin_is_logged_as_an_access_to_its_customer(
    verbund, coop, hannas_order, model
):
    """Her name, site and wishes are on the page: who opened it shows in her access log."""
    from auditlog import get_logentry_model

    package, request, quote = hannas_order
    obj = {"package": package, "request": request, "quote": quote}[model]
    accesses = get_logentry_model().objects.filter(action=get_logentry_model().Action.ACCESS)
    assert verbund.get(f"/admin/jobs/{model}/{obj.pk}/change/").status_code == 200
    [entry] = accesses
    assert entry.actor.username == "volker"
    assert (entry.content_type.model, entry.object_id) == ("customer", coop.hanna_site.customer.pk)
    assert entry.additional_data == {"via": f"admin:{model}"}


@pytest.fixture
def buero(coop):
    """Olga from the office, with a staff account as the office's are (she logs in there)."""
    coop.olga.is_staff = True
    coop.olga.save()
    client = Client()
    client.force_login(coop.olga)
    return client


def test_the_office_looks_up_customers_and_orders_and_changes_nothing(buero, coop, hannas_order):
    package, request, quote = hannas_order
    customer = coop.hanna_site.customer
    start = buero.get("/admin/").content.decode()
    assert {"Kunden", "Aufträge"} <= set(sections(start))
    assert "/admin/trades/" not in start and "/admin/jobs/packagetemplate/" not in start
    records = {
        "customers/customer": customer,
        "customers/site": coop.hanna_site,
        "jobs/package": package,
        "jobs/request": request,
        "jobs/quote": quote,
    }
    for lookup, obj in records.items():
        url = f"/admin/{lookup}/"
        assert f"{url}{obj.pk}/change/" in buero.get(url).content.decode(), lookup
        page = buero.get(f"{url}{obj.pk}/change/")
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode(), lookup
        assert buero.post(f"{url}{obj.pk}/change/", {"phone": "0170 1"}).status_code == 403
        assert buero.get(f"{url}add/").status_code == 403, lookup
        assert buero.post(f"{url}{obj.pk}/delete/", {"post": "yes"}).status_code == 403, lookup
    # Inside the pages: her sites and orders, the package's tasks, the quote's lines.
    page = buero.get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()
    assert coop.hanna_site.street in page and f"/admin/jobs/package/{package.pk}/" in page
    page = buero.get(f"/admin/jobs/package/{package.pk}/change/").content.decode()
    assert all(task.name_de in page for task in package.tasks.all())
    Package.objects.filter(pk=package.pk).update(status=Package.Status.ACCEPTED)
    supplement = propose_supplement(
        package,
        reason="Wand nass",
        tasks=[{"name": "Abdichten", "trade": "sanitaer", "duration_hours": 2}],
    )
    page = buero.get(f"/admin/jobs/package/{package.pk}/change/").content.decode()
    assert "Nachträge" in page and str(supplement.gross).replace(".", ",") in page
    page = buero.get(f"/admin/jobs/quote/{quote.pk}/change/").content.decode()
    assert all(line.text in page for line in quote.lines.all())
    customer.refresh_from_db()
    assert customer.phone != "0170 1"


@pytest.mark.parametrize("who", ["alice", "hanna"])
def test_a_members_admin_and_a_homeowner_do_not_open_the_lookups(coop, hannas_order, who):
    """Not even with a staff account: the rights come with the office's role."""
    package, _request, _quote = hannas_order
    user = getattr(coop, who)
    client = Client()
    for staff in (False, True):
        user.is_staff = staff
        user.save()
        client.force_login(user)
        for url in (
            "/admin/jobs/package/",
            f"/admin/jobs/package/{package.pk}/change/",
            f"/admin/customers/customer/{package.customer_id}/change/",
        ):
            response = client.get(url)
            if staff:
                assert response.status_code == 403, url
            else:
                assert response.status_code == 302 and "/admin/login/" in response.url, url


def test_appointments_are_moved_on_the_board_not_in_the_admin(verbund):
    assert verbund.get("/admin/scheduling/appointment/").status_code == 200
    assert verbund.get("/admin/scheduling/appointment/add/").status_code == 403


def test_a_closure_overlapping_another_is_refused_in_the_admin_at_its_first_day(verbund, coop):
    from trades.models import Absence

    Absence.objects.create(
        workshop=coop.a, kind="closure", start=dt.date(2030, 12, 21), end=dt.date(2031, 1, 1)
    )
    form = {"workshop": coop.a.pk, "worker": "", "kind": "closure", "note": ""}
    refused = verbund.post(
        "/admin/trades/absence/add/", {**form, "start": "2030-12-31", "end": "2031-01-06"}
    )
    assert refused.status_code == 200
    assert list(refused.context["adminform"].form.errors) == ["start"]
    assert "bereits geschlossen (Betriebsferien)" in refused.content.decode()
    assert Absence.objects.filter(workshop=coop.a).count() == 1
    after = verbund.post(
        "/admin/trades/absence/add/", {**form, "start": "2031-01-02", "end": "2031-01-06"}
    )
    assert after.status_code == 302 and Absence.objects.filter(workshop=coop.a).count() == 2
