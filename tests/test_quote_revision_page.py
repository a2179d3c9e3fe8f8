"""The office revises a quote on its page (/buero/angebote/<package>/), submitted the way a
browser would: every pre-filled value as rendered, plus whatever the office typed."""

from decimal import Decimal
from html.parser import HTMLParser
from io import BytesIO

import pytest
from django.core import mail
from django.test import Client
from pypdf import PdfReader

from jobs.models import Package, Quote
from jobs.services import accept_quote
from tests.test_journey_api import portal, submit, wizard  # noqa: F401 - fixture
from tests.test_planner_integration import bathroom  # noqa: F401 - fixture
from zunft.core.money import round_money

pytestmark = pytest.mark.django_db

AMOUNTS = ("kind", "trade", "text", "quantity", "unit", "unit_price")


class _FormValues(HTMLParser):
    """What a browser sends for the revision form: inputs' values, ticked boxes, the selected
    option (or the first one), textareas."""

    def __init__(self):
        super().__init__()
        self.values, self._select, self._first, self._textarea = {}, None, False, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a.get("type") != "submit":
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.values[a["name"]] = "on"
            else:
                self.values[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self._select, self._first = a["name"], True
        elif tag == "option" and self._select:
            if self._first or "selected" in a:
                self.values[self._select] = a.get("value", "")
            self._first = False
        elif tag == "textarea":
            self._textarea = a["name"]
            self.values[a["name"]] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data.strip()


def form_of(response) -> dict:
    parser = _FormValues()
    parser.feed(response.content.decode())
    return parser.values


@pytest.fixture
def quoted(portal):  # noqa: F811
    """A bathroom package with its instant quote (version 1), and the office's client."""
    quote = Quote.objects.get(pk=submit(Client(), wizard()).json()["quote"]["id"])
    office = Client()
    office.force_login(portal.olga)
    return quote, office, f"/buero/angebote/{quote.package_id}/"


def api_lines(quote) -> list[dict]:
    """The quote's lines as the revision API takes them."""
    return [
        {name: str(value) for name, value in zip(AMOUNTS, line, strict=True)}
        for line in quote.lines.order_by("position").values_list(*AMOUNTS)
    ]


def amounts(quote) -> list[tuple]:
    return list(quote.lines.order_by("position").values_list(*AMOUNTS))


def test_a_revision_keeps_every_line_the_office_left_alone(quoted):
    quote, office, url = quoted
    before = amounts(quote)
    assert len(before) >= 3  # labour, material, travel, coordination …
    form = form_of(office.get(url))
    assert form["lines-INITIAL_FORMS"] == str(len(before))
    form["lines-0-quantity"] = "3"
    new = len(before)
    for i, (text, price) in enumerate([("Vorwandelement", "389,00"), ("Silikonfugen", "4,50")]):
        form |= {
            f"lines-{new + i}-kind": "material",
            f"lines-{new + i}-text": text,
            f"lines-{new + i}-quantity": "2",
            f"lines-{new + i}-unit": "Stk.",
            f"lines-{new + i}-unit_price": price,
        }

    assert office.post(url, form).status_code == 302
    revised = quote.package.quotes.get(version=2)
    after = amounts(revised)
    assert after[0] == (*before[0][:3], Decimal("3.00"), *before[0][4:])
    assert after[1:new] == before[1:]  # untouched lines: same text, quantity, unit price
    assert [line[2] for line in after[new:]] == ["Vorwandelement", "Silikonfugen"]
    expected_net = sum(round_money(q * p) for *_, q, _unit, p in after)
    assert revised.net == expected_net
    assert revised.gross == revised.net + revised.vat
    page = Client()
    page.force_login(quote.package.customer.user)
    shown = page.get(f"/angebot/{revised.pk}/").content.decode()
    assert before[1][2] in shown and "entfällt" not in shown


def test_a_revision_is_saved_with_the_blank_extra_rows_left_empty(quoted):
    quote, office, url = quoted
    page = office.get(url)
    form = form_of(page)
    total = int(form["lines-TOTAL_FORMS"])
    assert total == int(form["lines-INITIAL_FORMS"]) + 2  # two blank rows to add lines in
    assert form[f"lines-{total - 1}-kind"] == ""  # nothing preselected in a blank row
    form["lines-0-quantity"] = "3"
    form[f"lines-{total - 1}-remove"] = "on"  # ticking "remove" on a blank row is harmless

    mail.outbox.clear()
    saved = office.post(url, form)
    assert saved.status_code == 302, saved.content.decode()[-3000:]
    revised = quote.package.quotes.get(version=2)
    assert revised.lines.count() == quote.lines.count()


def test_a_partly_filled_extra_row_is_refused_at_its_fields(quoted):
    quote, office, url = quoted
    form = form_of(office.get(url))
    extra = int(form["lines-INITIAL_FORMS"])
    form[f"lines-{extra}-text"] = "Vorwandelement"

    refused = office.post(url, form)
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "Dieses Feld ist zwingend erforderlich." in body
    assert "Bitte prüfen Sie die markierten Zeilen." in body  # the summary at the top
    assert body.count('class="has-error"') == 1  # only that row is marked
    assert Quote.objects.filter(package=quote.package).count() == 1


def test_an_accepted_order_is_shown_with_a_notice_and_no_form_to_save(quoted):
    quote, office, url = quoted
    accept_quote(quote.pk, version=1, user=quote.package.customer.user)

    page = office.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Dieses Angebot kann nicht mehr überarbeitet werden (Status: angenommen)" in body
    assert "Ein angenommener Auftrag wird durch einen Nachtrag geändert" in body
    assert 'data-testid="revise-form"' not in body and 'data-testid="revise-submit"' not in body


def test_a_form_opened_before_the_homeowner_accepted_is_refused_and_nothing_is_written(quoted):
    quote, office, url = quoted
    stale = form_of(office.get(url))
    accept_quote(quote.pk, version=1, user=quote.package.customer.user)
    assert Package.objects.get(pk=quote.package_id).status == Package.Status.ACCEPTED
    versions = Quote.objects.filter(package=quote.package).count()
    stale["lines-0-quantity"] = "3"
    stale["lines-TOTAL_FORMS"] = stale["lines-INITIAL_FORMS"]  # a form that is valid as such

    mail.outbox.clear()
    refused = office.post(url, stale)
    assert refused.status_code == 422
    body = refused.content.decode()
    assert "Ein angenommener Auftrag wird durch einen Nachtrag geändert" in body
    assert 'data-testid="revise-closed"' in body and 'data-testid="revise-submit"' not in body
    assert Quote.objects.filter(package=quote.package).count() == versions
    assert quote.package.quotes.get(version=1).status == Quote.Status.ACCEPTED
    assert not mail.outbox


@pytest.mark.parametrize("status", ["in_progress", "done", "cancelled"])
def test_a_package_past_quoting_shows_a_notice_instead_of_the_form(quoted, status):
    quote, office, url = quoted
    Package.objects.filter(pk=quote.package_id).update(status=status)
    body = office.get(url).content.decode()
    assert "Dieses Angebot kann nicht mehr überarbeitet werden" in body
    assert 'data-testid="revise-submit"' not in body


def test_the_homeowner_reads_version_not_fassung_for_a_revised_quote(
    quoted, django_capture_on_commit_callbacks
):
    quote, office, url = quoted
    form = form_of(office.get(url))
    form["lines-0-quantity"] = "3"
    with django_capture_on_commit_callbacks(execute=True):
        assert office.post(url, form).status_code == 302
    revised = quote.package.quotes.get(version=2)
    homeowner = Client()
    homeowner.force_login(quote.package.customer.user)
    new = homeowner.get(f"/angebot/{revised.pk}/").content.decode()
    old = homeowner.get(f"/angebot/{quote.pk}/").content.decode()
    told = mail.outbox[-1].body
    assert "Änderungen seit Version 1" in new
    assert "Es gibt eine neuere Version dieses Angebots." in old
    assert "(Version 2)" in told
    assert not [text for text in (new, old, told) if "Fassung" in text]


def test_a_revision_cannot_promise_dates_in_the_past_and_shows_a_moved_start(quoted):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    quote, office, url = quoted
    with time_machine.travel(timezone.now(), tick=False):  # no midnight in between
        today = timezone.localdate()

        def refused_with(message, **dates):
            response = office.post(url, form | dates)
            assert response.status_code == 422 and message in response.content.decode()

        form = form_of(office.get(url))
        past = "Der Beginn darf nicht in der Vergangenheit liegen."
        refused_with(past, start_date="2020-01-01", completion_date="2020-01-02")
        refused_with(
            "Die Fertigstellung darf nicht in der Vergangenheit liegen.",
            start_date="",
            completion_date=(today - dt.timedelta(days=1)).isoformat(),
        )
        # Left empty, a date stays as it was: a moved start must not leave the end before it.
        moved = quote.completion_date + dt.timedelta(days=10)
        refused_with(
            "Die Fertigstellung liegt vor dem Beginn.",
            start_date=moved.isoformat(),
            completion_date="",
        )
        # Nor may an empty field carry an old version's past dates into the new offer.
        kept = quote.start_date, quote.completion_date
        Quote.objects.filter(pk=quote.pk).update(
            start_date=dt.date(2020, 1, 1), completion_date=dt.date(2020, 1, 5)
        )
        refused_with(past, start_date="", completion_date="")
        Quote.objects.filter(pk=quote.pk).update(start_date=kept[0], completion_date=kept[1])
        assert Quote.objects.filter(package=quote.package).count() == 1

        done = moved + dt.timedelta(days=5)
        form |= {"start_date": moved.isoformat(), "completion_date": done.isoformat()}
        assert office.post(url, form).status_code == 302
    revised = quote.package.quotes.get(version=2)
    assert (revised.start_date, revised.completion_date) == (moved, done)
    homeowner = Client()
    homeowner.force_login(quote.package.customer.user)
    page = homeowner.get(f"/angebot/{revised.pk}/").content.decode()
    changes = page.split('data-testid="changes"')[1].split("</section>")[0]
    assert f"<strong>{moved:%d.%m.%Y}</strong>" in changes
    api = homeowner.get(f"/api/v1/quotes/{revised.pk}/changes").json()
    assert api["start_before"] == quote.start_date.isoformat()
    assert api["start_after"] == moved.isoformat()


def test_a_quantity_of_zero_is_refused_in_words_not_with_djangos_0_01(quoted):
    _quote, office, url = quoted
    form = form_of(office.get(url))
    form["lines-0-quantity"] = "0"
    refused = office.post(url, form).content.decode()
    assert "Die Menge muss größer als 0 sein." in refused and "0.01" not in refused


def test_the_office_promises_a_completion_date_which_the_accepted_order_keeps(
    quoted, django_capture_on_commit_callbacks
):
    import datetime as dt

    quote, office, url = quoted
    form = form_of(office.get(url))
    assert form["promised_date"] == ""  # an instant quote promises nothing
    too_early = quote.completion_date - dt.timedelta(days=1)
    refused = office.post(url, form | {"promised_date": too_early.isoformat()})
    assert refused.status_code == 422
    assert "Der zugesagte Termin liegt vor der frühesten Fertigstellung" in refused.content.decode()
    refused = office.post(url, form | {"promised_date": "2020-01-01"})
    assert "Der zugesagte Termin darf nicht in der Vergangenheit liegen." in (
        refused.content.decode()
    )
    assert Quote.objects.filter(package=quote.package).count() == 1

    promise = quote.completion_date + dt.timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        assert office.post(url, form | {"promised_date": promise.isoformat()}).status_code == 302
    revised = quote.package.quotes.get(version=2)
    assert revised.promised_date == promise
    assert form_of(office.get(url))["promised_date"] == promise.isoformat()  # offered again

    homeowner = Client()
    homeowner.force_login(quote.package.customer.user)
    page = homeowner.get(f"/angebot/{revised.pk}/").content.decode()
    shown = page.split('data-testid="promised">')[1].split("<")[0]
    assert f"{promise:%d.%m.%Y}" in shown
    changes = page.split('data-testid="changes"')[1].split("</section>")[0]
    assert "Fertigstellung zugesagt bis" in changes
    pdf = PdfReader(BytesIO(homeowner.get(f"/angebot/{revised.pk}/pdf/").content))
    text = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    assert f"Fertigstellung verbindlich zugesagt bis: {promise:%d.%m.%Y}" in text

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        accept_quote(
            revised.pk, version=2, user=quote.package.customer.user, early_start_consent=True
        )
    package = Package.objects.get(pk=quote.package_id)
    assert package.promised_date == promise  # what the board's "late" and the planner use
    assert f"Wir sagen die Fertigstellung bis {promise:%d.%m.%Y} zu." in mail.outbox[-1].body
    order_page = homeowner.get(f"/auftrag/{package.pk}/").content.decode()
    assert f'data-testid="package-promised">{promise:%d.%m.%Y}<' in order_page


def test_a_promise_left_out_of_an_api_revision_stays_and_null_withdraws_it(quoted):
    import datetime as dt
    import json

    quote, office, _url = quoted
    body = {"lines": api_lines(quote)[:1]}
    promise = quote.completion_date + dt.timedelta(days=3)

    def revise(**extra):
        response = office.post(
            f"/api/v1/packages/{quote.package_id}/quotes",
            json.dumps(body | extra),
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        return response.json()["promised_date"]

    assert revise(promised_date=promise.isoformat()) == promise.isoformat()
    assert revise() == promise.isoformat()
    assert revise(promised_date=None) is None
    too_early = (quote.completion_date - dt.timedelta(days=1)).isoformat()
    refused = office.post(
        f"/api/v1/packages/{quote.package_id}/quotes",
        json.dumps(body | {"promised_date": too_early}),
        content_type="application/json",
    )
    assert refused.status_code == 422 and "promised_date" in refused.json()["detail"][0]["loc"]

    # A promise left out is kept: when a new earliest completion passes it, the refusal says so.
    assert revise(promised_date=promise.isoformat()) == promise.isoformat()
    later = (promise + dt.timedelta(days=2)).isoformat()
    refused = office.post(
        f"/api/v1/packages/{quote.package_id}/quotes",
        json.dumps(body | {"completion_date": later}),
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["msg"].startswith(
        f"Die aus Version 5 übernommene Zusage ({promise:%d.%m.%Y}) liegt vor der neuen "
    )


# --- a line's trade is one of the cooperative's -----------------------------------------------


def options_of(body: str, name: str) -> list[str]:
    """The option values of the select called ``name``."""
    import re

    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', body, re.S)
    assert select, f"no select {name}"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def test_a_lines_trade_is_chosen_from_the_cooperatives_trades_and_a_typo_is_refused(quoted):
    quote, office, url = quoted
    body = office.get(url).content.decode()
    # The stored German names, and blank for the cooperative's own line (the coordination fee).
    assert sorted(options_of(body, "lines-0-trade")) == ["", "Elektrotechnik", "Installateur"]
    assert '<input type="text" name="lines-0-trade"' not in body
    form = form_of(office.get(url))
    fee = quote.lines.get(kind="fee").position - 1
    assert form[f"lines-{fee}-trade"] == ""  # stays possible, as "Genossenschaft"

    refused = office.post(url, form | {"lines-0-trade": "Installateurr"})
    assert refused.status_code == 422
    page = refused.content.decode()
    assert "„Installateurr“ ist keines der Gewerke der Genossenschaft." in page
    assert page.count('class="has-error"') == 1  # at that row
    assert Quote.objects.filter(package=quote.package).count() == 1


def test_a_trade_changed_on_a_line_is_saved_and_listed_among_the_changes(quoted):
    quote, office, url = quoted
    first = quote.lines.order_by("position").first()
    assert first.trade == "Installateur"
    form = form_of(office.get(url))
    assert office.post(url, form | {"lines-0-trade": "Elektrotechnik"}).status_code == 302
    revised = quote.package.quotes.get(version=2)
    assert revised.lines.get(text=first.text).trade == "Elektrotechnik"
    assert revised.gross == quote.gross  # only the trade changed

    homeowner = Client()
    homeowner.force_login(quote.package.customer.user)
    api = homeowner.get(f"/api/v1/quotes/{revised.pk}/changes").json()
    assert [(c["text"], c["trade_before"], c["trade_after"]) for c in api["changed"]] == [
        (first.text, "Installateur", "Elektrotechnik")
    ]
    page = homeowner.get(f"/angebot/{revised.pk}/").content.decode()
    changes = page.split('data-testid="changes"')[1].split("</section>")[0]
    assert first.text in changes
    assert "Gewerk: <s>Installateur</s> → Elektrotechnik" in changes
    english = Client()
    english.force_login(quote.package.customer.user)
    english.cookies["django_language"] = "en"
    page = english.get(f"/en/angebot/{revised.pk}/").content.decode()
    assert "trade: <s>Plumbing</s> → Electrics" in page


def test_the_api_refuses_a_trade_the_cooperative_lacks_naming_the_line(quoted):
    import json

    quote, office, _url = quoted
    lines = api_lines(quote)
    api = f"/api/v1/packages/{quote.package_id}/quotes"
    lines[1]["trade"] = "Tischlerr"
    refused = office.post(api, json.dumps({"lines": lines}), content_type="application/json")
    assert refused.status_code == 422
    [error] = refused.json()["detail"]
    assert error["loc"] == ["body", "lines", "2", "trade"]
    assert error["msg"].startswith("„Tischlerr“ ist keines der Gewerke der Genossenschaft")
    assert "Elektrotechnik, Installateur" in error["msg"]
    assert Quote.objects.filter(package=quote.package).count() == 1

    lines[1]["trade"] = "Installateur"
    saved = office.post(api, json.dumps({"lines": lines}), content_type="application/json")
    assert saved.status_code == 201
    assert quote.package.quotes.get(version=2).lines.filter(trade="").count() == 1  # the fee


def test_a_trade_typed_before_it_was_a_choice_stays_on_offer_and_can_be_corrected(quoted):
    quote, office, url = quoted
    first = quote.lines.order_by("position").first()
    type(first).objects.filter(pk=first.pk).update(trade="Installateurr")
    body = office.get(url).content.decode()
    assert "Installateurr (keines der Gewerke der Genossenschaft)" in body
    form = form_of(office.get(url))
    assert form["lines-0-trade"] == "Installateurr"
    assert office.post(url, form | {"lines-0-trade": "Installateur"}).status_code == 302
    assert quote.package.quotes.get(version=2).lines.get(text=first.text).trade == "Installateur"


# --- every control is named; errors say where, all in one round -------------------------------


class _Controls(HTMLParser):
    """The form's visible controls (id, name, aria-label, aria-describedby), the ids that
    <label for> names and every element id on the page."""

    def __init__(self):
        super().__init__()
        self.controls, self.labelled, self.ids = [], set(), set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "label" and a.get("for"):
            self.labelled.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append(a)


def controls_of(response) -> _Controls:
    parser = _Controls()
    parser.feed(response.content.decode())
    return parser


def test_every_control_of_the_revision_form_has_a_name_saying_its_row_and_column(quoted):
    _quote, office, url = quoted
    page = controls_of(office.get(url))
    unnamed = [
        c["name"]
        for c in page.controls
        if not (c.get("aria-label") or c.get("aria-labelledby") or c.get("id") in page.labelled)
    ]
    assert page.controls and unnamed == []
    named = {c["name"]: c.get("aria-label") for c in page.controls}
    assert named["lines-2-quantity"] == "Zeile 3: Menge"
    assert named["lines-0-trade"] == "Zeile 1: Gewerk"
    assert named["lines-1-remove"] == "Zeile 2: entfernen"


def test_line_and_date_errors_are_reported_together_each_naming_row_and_column(quoted):
    import datetime as dt

    quote, office, url = quoted
    form = form_of(office.get(url))
    start = quote.start_date + dt.timedelta(days=10)
    refused = office.post(
        url,
        form
        | {
            "lines-2-quantity": "",
            "start_date": start.isoformat(),
            "completion_date": (start - dt.timedelta(days=8)).isoformat(),
        },
    )
    assert refused.status_code == 422
    body = refused.content.decode()
    # One round: the line's error and the reversed dates at once.
    assert "Die Fertigstellung liegt vor dem Beginn." in body
    summary = body.split('data-testid="line-errors"')[1].split("</ul>")[0]
    assert (
        '<a href="#id_lines-2-quantity">Zeile 3: Menge – Dieses Feld ist zwingend erforderlich.</a>'
        in summary
    )
    page = controls_of(refused)
    [quantity] = [c for c in page.controls if c["name"] == "lines-2-quantity"]
    assert quantity["aria-invalid"] == "true"
    assert quantity["aria-describedby"] in page.ids  # the error it points to exists
    [completion] = [c for c in page.controls if c["name"] == "completion_date"]
    assert completion["aria-describedby"] in page.ids
    assert Quote.objects.filter(package=quote.package).count() == 1


def test_the_revision_page_has_the_office_pages_layout_and_navigation(quoted):
    _quote, office, url = quoted
    body = office.get(url).content.decode()
    assert "/static/zunft/office/board." in body and "/static/zunft/portal." not in body
    nav = body.split('aria-label="Hauptnavigation"')[1].split("</nav>")[0]
    for link in ("nav-board", "nav-emergency", "nav-invoices"):
        assert f'data-testid="{link}"' in nav
    # Quotes are revised from the board's inbox: its tab is marked, as a section, not the page.
    board = nav.split('data-testid="nav-board"')[0].rsplit("<a ", 1)[1]
    assert 'class="office-link current"' in board and 'aria-current="true"' in board


def test_a_promise_taken_off_the_quote_is_taken_off_the_order_when_she_accepts(quoted):
    import datetime as dt

    quote, office, url = quoted
    promise = quote.completion_date + dt.timedelta(days=5)
    Package.objects.filter(pk=quote.package_id).update(promised_date=promise)  # booked so
    form = form_of(office.get(url))
    assert office.post(url, form | {"promised_date": ""}).status_code == 302  # none offered
    revised = quote.package.quotes.get(version=2)
    assert revised.promised_date is None
    accept_quote(revised.pk, version=2, user=quote.package.customer.user, early_start_consent=True)
    assert Package.objects.get(pk=quote.package_id).promised_date is None
