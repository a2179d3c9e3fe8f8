"""The homeowner's journey through the API: request → instant quote → login by code → accept."""

import datetime as dt
import re
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from jobs.models import Package, Quote, Request
from jobs.services import accept_quote, create_quote
from tests import factories as f
from tests.test_planner_integration import bathroom  # noqa: F401 - fixture
from trades.models import Cooperative

pytestmark = pytest.mark.django_db


@pytest.fixture
def portal(coop, bathroom):  # noqa: F811
    f.PostalCodeFactory()  # 26169 Friesoythe
    Cooperative.objects.create(
        name="Verbund",
        legal_name="Verbund eG",
        email="v@example.org",
        vat_id="DE136695976",
        iban="DE89370400440532013000",
        bic="COBADEFFXXX",
        fee_rate=Decimal("0.08"),
        street="Markt 1",
        postal_code="49661",
        city="Cloppenburg",
        state="NI",
    )
    return coop


def wizard(**changes):
    start = timezone.localdate() + dt.timedelta(days=21)
    body = {
        "template": "bad",
        "parameters": {"area": "8"},
        "site": {"street": "Lange Straße 9", "postal_code": "26169", "city": "Friesoythe"},
        "contact": {"first_name": "Greta", "last_name": "Grote", "email": "greta@example.org"},
        "earliest_start": start.isoformat(),
        "privacy_consent": True,
    }
    for key, value in changes.items():
        target = body
        *path, last = key.split("__")
        for part in path:
            target = target[part]
        target[last] = value
    return body


def submit(client, body):
    return client.post("/api/v1/requests", body, "application/json")


def code_from_mail() -> str:
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].subject).group(1)


def test_a_homeowner_gets_a_priced_quote_with_a_date_logs_in_by_code_and_accepts(
    portal, django_capture_on_commit_callbacks
):
    browser = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(browser, wizard())
    assert response.status_code == 201, response.content
    quote = response.json()["quote"]
    assert Decimal(quote["gross"]) == Decimal(quote["net"]) + Decimal(quote["vat"])
    assert Decimal(quote["tax_reduction"]) == min(
        (Decimal(quote["labour_gross"]) * Decimal("0.2")).quantize(Decimal("0.01")), 1200
    )
    kinds = {line["kind"] for line in quote["lines"]}
    assert {"labour", "fee"} <= kinds
    assert dt.date.fromisoformat(quote["completion_date"]) >= dt.date.fromisoformat(
        quote["start_date"]
    )
    # The same browser sees its quote; nobody else does.
    assert browser.get(f"/api/v1/quotes/{quote['id']}").status_code == 200
    assert Client().get(f"/api/v1/quotes/{quote['id']}").status_code == 404

    # Accepting needs a login: by the emailed code.
    assert (
        browser.post(
            f"/api/v1/quotes/{quote['id']}/accept", {"version": 1}, "application/json"
        ).status_code
        == 401
    )
    assert mail.outbox[-1].to == ["greta@example.org"]
    bad = browser.post(
        "/api/v1/system/auth/login",
        {"email": "greta@example.org", "code": "000000"},
        "application/json",
    )
    assert bad.status_code == 401
    ok = browser.post(
        "/api/v1/system/auth/login",
        {"email": "greta@example.org", "code": code_from_mail()},
        "application/json",
    )
    assert ok.status_code == 200
    accepted = browser.post(
        f"/api/v1/quotes/{quote['id']}/accept", {"version": 1}, "application/json"
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    package = Package.objects.get(pk=quote["package_id"])
    assert package.status == "accepted"
    timeline = browser.get(f"/api/v1/packages/{package.pk}").json()
    assert [t["code"] for t in timeline["tasks"]] == ["rough", "wiring", "finish"]
    events = browser.get(f"/api/v1/packages/{package.pk}/events?after=0").json()
    assert [e["type"] for e in events] == ["quote.created", "quote.accepted"]
    assert Client().get(f"/api/v1/packages/{package.pk}").status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"site__postal_code": "99999"}, "postal_code"),
        ({"parameters": {"area": "-3"}}, "area"),
        ({"earliest_start": "2020-01-01"}, "earliest_start"),
        ({"template": "no-such-package"}, None),
        ({"privacy_consent": False}, "privacy_consent"),
        ({"contact__email": "not-an-email"}, "email"),
    ],
)
def test_bad_wizard_input_is_refused_and_nothing_is_half_created(portal, change, field):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.count()
    response = submit(Client(), wizard(**change))
    assert response.status_code in (404, 422), response.content
    if field:
        assert any(field in map(str, e["loc"]) for e in response.json()["detail"]), response.json()
    assert not Request.objects.exists() and not Package.objects.exists()
    assert get_user_model().objects.count() == users


def test_a_staff_address_typed_into_the_wizard_is_refused_naming_the_email(portal):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("clerk", email="olga@zunft.example", role="office")
    users = get_user_model().objects.count()
    response = submit(Client(), wizard(contact__email="Olga@zunft.example"))
    assert response.status_code == 422
    assert any("email" in map(str, e["loc"]) for e in response.json()["detail"])
    assert not Request.objects.exists() and get_user_model().objects.count() == users
    assert not mail.outbox  # no login code to the office account


def test_an_outdated_or_expired_quote_cannot_be_accepted(portal):
    browser = Client()
    body = submit(browser, wizard()).json()
    package = Package.objects.get(pk=body["package_id"])
    user = package.customer.user
    revised = create_quote(package, note="Preis angepasst")
    assert revised.version == 2
    browser.force_login(user)
    old = browser.post(
        f"/api/v1/quotes/{body['quote']['id']}/accept", {"version": 1}, "application/json"
    )
    assert old.status_code == 409
    Quote.objects.filter(pk=revised.pk).update(valid_until=timezone.localdate() - dt.timedelta(1))
    expired = browser.post(
        f"/api/v1/quotes/{revised.pk}/accept", {"version": 2}, "application/json"
    )
    assert expired.status_code == 422
    assert Package.objects.get(pk=package.pk).status == "quoted"


def test_a_start_inside_the_withdrawal_period_needs_consent(portal):
    browser = Client()
    soon = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    body = submit(browser, wizard(earliest_start=soon)).json()
    assert body["quote"]["early_start_consent_needed"] is True
    browser.force_login(Package.objects.get(pk=body["package_id"]).customer.user)
    url = f"/api/v1/quotes/{body['quote']['id']}/accept"
    refused = browser.post(url, {"version": 1}, "application/json")
    assert refused.status_code == 422
    # On the quote page the refusal stands at the box to tick, at the end of a long page.
    page = browser.post(f"/angebot/{body['quote']['id']}/annehmen/", {"version": 1})
    assert page.status_code == 422
    html = page.content.decode()
    assert 'data-testid="consent-error"' in html and 'aria-describedby="early-error"' in html
    assert html.index('data-testid="consent-error"') > html.index('id="early"')
    ok = browser.post(url, {"version": 1, "early_start_consent": True}, "application/json")
    assert ok.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_tabs_accepting_at_once_make_one_contract(portal):
    body = submit(Client(), wizard()).json()
    quote_id = body["quote"]["id"]
    user = Package.objects.get(pk=body["package_id"]).customer.user
    barrier = threading.Barrier(2)
    results = []

    def tab():
        try:
            barrier.wait()
            results.append(accept_quote(quote_id, version=1, user=user).accepted_at)
        finally:
            connection.close()

    threads = [threading.Thread(target=tab) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and results[0] == results[1]  # the same contract, accepted once
    assert Quote.objects.filter(status="accepted").count() == 1
    assert Package.objects.get(pk=body["package_id"]).status == "accepted"


def test_the_office_revises_a_quote_and_the_homeowner_sees_what_changed(
    portal, django_capture_on_commit_callbacks
):
    browser = Client()
    body = submit(browser, wizard()).json()
    first = body["quote"]
    office = Client()
    office.force_login(portal.olga)
    lines = [
        {k: line[k] for k in ("kind", "trade", "text", "quantity", "unit", "unit_price")}
        for line in first["lines"]
    ]
    lines[0]["quantity"] = str(Decimal(lines[0]["quantity"]) + 2)
    removed = lines.pop()
    lines.append(
        {
            "kind": "material",
            "trade": "Installateur",
            "text": "Vorwandelement",
            "quantity": "1",
            "unit": "Stk.",
            "unit_price": "389.00",
        }
    )
    url = f"/api/v1/packages/{body['package_id']}/quotes"
    assert Client().post(url, {"lines": lines}, "application/json").status_code == 401
    homeowner = Client()
    homeowner.force_login(Package.objects.get(pk=body["package_id"]).customer.user)
    assert homeowner.post(url, {"lines": lines}, "application/json").status_code == 403
    bad = office.post(url, {"lines": [{**lines[0], "quantity": "-1"}]}, "application/json")
    assert bad.status_code == 422

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        revised = office.post(url, {"lines": lines, "note": "Vorwand ergänzt"}, "application/json")
    assert revised.status_code == 201 and revised.json()["version"] == 2
    assert mail.outbox and "/angebot/" in mail.outbox[0].body
    changes = homeowner.get(f"/api/v1/quotes/{revised.json()['id']}/changes").json()
    assert [line["text"] for line in changes["added"]] == ["Vorwandelement"]
    assert [line["text"] for line in changes["removed"]] == [removed["text"]]
    assert [c["text"] for c in changes["changed"]] == [lines[0]["text"]]
    assert Decimal(changes["gross_before"]) == Decimal(first["gross"])
    page = homeowner.get(f"/angebot/{revised.json()['id']}/").content.decode()
    assert "Vorwandelement" in page and 'data-testid="changes"' in page
    old = homeowner.post(f"/api/v1/quotes/{first['id']}/accept", {"version": 1}, "application/json")
    assert old.status_code == 409


def test_the_office_revises_a_quote_on_its_page_and_bad_lines_are_refused_at_the_field(
    portal, django_capture_on_commit_callbacks
):
    response = submit(Client(), wizard())
    quote = Quote.objects.get(pk=response.json()["quote"]["id"])
    package = quote.package
    office = Client()
    office.force_login(portal.olga)
    url = f"/buero/angebote/{package.pk}/"
    page = office.get(url)
    assert page.status_code == 200
    lines = list(quote.lines.all())
    form = revision_form(lines, extra=1, note="Fliesen nach Wunsch")
    form |= {"lines-0-remove": "on"}
    new = len(lines)
    form |= {
        f"lines-{new}-kind": "material",
        f"lines-{new}-trade": "",
        f"lines-{new}-text": "Designfliesen",
        f"lines-{new}-quantity": "8",
        f"lines-{new}-unit": "m²",
        f"lines-{new}-unit_price": "1.234,50",
    }
    bad = office.post(url, form | {f"lines-{new}-quantity": "-1"})
    assert bad.status_code == 422 and Quote.objects.filter(package=package).count() == 1
    assert 'class="field-error"' in bad.content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        saved = office.post(url, form)
    assert saved.status_code == 302, re.findall(
        r'class="field-error"[^<]*<[^>]*>[^<]*', saved.content.decode()
    )
    revised = package.quotes.get(version=2)
    texts = list(revised.lines.values_list("text", flat=True))
    assert lines[0].text not in texts and "Designfliesen" in texts
    assert revised.lines.get(text="Designfliesen").unit_price == Decimal("1234.50")
    assert revised.note == "Fliesen nach Wunsch"
    assert any("/angebot/" in m.body for m in mail.outbox)  # the homeowner is told
    # Not for anyone else.
    homeowner = Client()
    homeowner.force_login(package.customer.user)
    assert homeowner.get(url).status_code == 404
    # the old version says it is outdated before showing its price
    outdated = homeowner.get(f"/angebot/{quote.pk}/").content.decode()
    assert outdated.index('data-testid="outdated"') < outdated.index('data-testid="gross"')
    assert Client().get(url).status_code == 302


def revision_form(lines, *, extra: int = 0, note: str = "") -> dict:
    """The office's revision page as posted unchanged: every line of ``lines`` pre-filled (German
    number input), plus ``extra`` blank rows."""
    form = {
        "lines-TOTAL_FORMS": str(len(lines) + extra),
        "lines-INITIAL_FORMS": str(len(lines)),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
        "start_date": "",
        "completion_date": "",
        "note": note,
    }
    for i, line in enumerate(lines):
        form |= {
            f"lines-{i}-kind": line.kind,
            f"lines-{i}-trade": line.trade,
            f"lines-{i}-text": line.text,
            f"lines-{i}-quantity": str(line.quantity).replace(".", ","),
            f"lines-{i}-unit": line.unit,
            f"lines-{i}-unit_price": str(line.unit_price).replace(".", ","),
        }
    return form


def test_the_homeowner_declines_through_the_api(portal):
    browser = Client()
    body = submit(browser, wizard()).json()
    browser.force_login(Package.objects.get(pk=body["package_id"]).customer.user)
    url = f"/api/v1/quotes/{body['quote']['id']}/decline"
    declined = browser.post(url, {"version": 1}, "application/json")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert Package.objects.get(pk=body["package_id"]).status == "cancelled"
    accept = f"/api/v1/quotes/{body['quote']['id']}/accept"
    assert browser.post(accept, {"version": 1}, "application/json").status_code == 409


@pytest.mark.django_db(transaction=True)
def test_the_requests_address_is_located_before_its_transaction_opens(
    portal, settings, monkeypatch
):
    """An online geocoder may take seconds: the homeowner's request (account, site, package,
    quote) is written in one transaction, which must not be open while it waits."""
    from customers import geocoding
    from tests.test_geocoding import NOMINATIM_HIT, fake_opener

    settings.GEOCODER = "nominatim"
    in_transaction = []

    house = {
        **NOMINATIM_HIT,
        "lat": "53.0190",
        "lon": "7.8590",
        "address": {**NOMINATIM_HIT["address"], "town": "Friesoythe", "postcode": "26169"},
    }

    def geocoder(request, timeout):
        in_transaction.append(connection.in_atomic_block)
        return fake_opener([house])(request, timeout)

    monkeypatch.setattr(geocoding.urllib.request, "urlopen", geocoder)
    response = submit(Client(), wizard())
    assert response.status_code == 201, response.content
    assert in_transaction == [False]  # asked once, with no transaction open
    site = Request.objects.get().site
    assert site.location_source == "geocoder"
