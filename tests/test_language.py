"""The language switch and the language of the API: German without a prefix, English under
``/en/``. The switch keeps the page and changes only its language, whatever the cookie or the
browser said before; a page's script gets the API's texts in the page's language."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from jobs.models import Request

pytestmark = pytest.mark.django_db

SETLANG = "/i18n/setlang/"
GERMAN_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"}
ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def switch(client, language, next_url, **headers):
    return client.post(SETLANG, {"language": language, "next": next_url}, **headers)


def test_choosing_german_on_an_english_page_lands_on_the_same_page_in_german(client):
    response = switch(client, "de", "/en/pakete/", **GERMAN_BROWSER)
    assert response.status_code == 302
    assert response["Location"] == "/pakete/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    page = client.get(response["Location"], **GERMAN_BROWSER).content.decode()
    assert '<html lang="de">' in page


def test_choosing_german_keeps_the_query_string(client):
    response = switch(client, "de", "/en/pakete/?plz=49661", **GERMAN_BROWSER)
    assert response["Location"] == "/pakete/?plz=49661"


def test_choosing_english_on_a_german_page_lands_under_the_prefix_even_with_an_english_cookie(
    client,
):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = switch(client, "en", "/pakete/", **ENGLISH_BROWSER)
    assert response["Location"] == "/en/pakete/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(response["Location"]).content.decode()
    assert '<html lang="en">' in page


def test_the_choice_sticks_for_pages_outside_the_prefixes(client, office_user):
    response = switch(client, "en", "/pakete/", **GERMAN_BROWSER)
    assert response["Location"] == "/en/pakete/"
    client.force_login(office_user)
    inbox = client.get("/api/v1/board/requests", **GERMAN_BROWSER).json()
    assert inbox["labels"]["declined"] == "declined"


def test_the_switch_still_refuses_to_redirect_to_another_host(client):
    response = switch(client, "de", "https://evil.example/en/pakete/", **GERMAN_BROWSER)
    assert response.status_code == 302
    assert response["Location"] == "/"
    referred = client.post(
        SETLANG,
        {"language": "de", "next": "//evil.example/en/pakete/"},
        HTTP_REFERER="https://evil.example/",
        **GERMAN_BROWSER,
    )
    assert referred["Location"] == "/"


def test_the_switch_falls_back_to_the_referring_page_and_translates_it(client):
    response = client.post(
        SETLANG,
        {"language": "de"},
        HTTP_REFERER="http://testserver/en/pakete/",
        **GERMAN_BROWSER,
    )
    assert response["Location"] == "http://testserver/pakete/"


# --- the API follows the page that asks -------------------------------------------------------


def test_the_board_inbox_answers_in_the_language_the_page_asks_for(coop, api_as):
    Request.objects.create(
        customer=coop.hanna_site.customer, site=coop.hanna_site, earliest_start=dt.date(2025, 11, 3)
    )
    client = api_as(coop.olga)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    answer = client.get("/api/v1/board/requests?status=new", HTTP_X_LANGUAGE="en", **GERMAN_BROWSER)
    # A cache in between must not hand the German answer to the English page.
    assert {"x-language", "cookie", "accept-language"} <= {
        v.strip().lower() for v in answer["Vary"].split(",")
    }
    english = answer.json()
    assert english["requests"][0]["status_label"] == "new"
    assert english["labels"]["declined"] == "declined"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    german = client.get(
        "/api/v1/board/requests?status=new", HTTP_X_LANGUAGE="de", **ENGLISH_BROWSER
    ).json()
    assert german["requests"][0]["status_label"] == "neu"
    assert german["labels"]["declined"] == "abgelehnt"


def test_without_a_page_language_the_api_follows_the_cookie_and_ignores_unknown_ones(coop, api_as):
    client = api_as(coop.olga)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    plain = client.get("/api/v1/board/requests", **GERMAN_BROWSER).json()
    assert plain["labels"]["declined"] == "declined"
    unknown = client.get("/api/v1/board/requests", HTTP_X_LANGUAGE="xx", **GERMAN_BROWSER).json()
    assert unknown["labels"]["declined"] == "declined"


def test_the_board_scripts_api_helper_names_the_language_of_its_page():
    # The board's script is the one client of these endpoints; its page language is the
    # <html lang> that base.html renders from the URL.
    script = Path(finders.find("zunft/office/board.js")).read_text(encoding="utf-8")
    assert 'const lang = document.documentElement.lang || "de";' in script
    assert '"X-Language": lang' in script


def test_refusals_of_the_api_come_in_the_callers_language(coop, api_as):
    client = api_as(coop.hanna)
    german = client.get("/api/v1/board/requests", **GERMAN_BROWSER)
    assert german.status_code == 403
    assert german.json()["detail"] == "Nur das Büro nutzt die Plantafel."
    english = client.get("/api/v1/board/requests", HTTP_X_LANGUAGE="en", **GERMAN_BROWSER)
    assert english.json()["detail"] == "Only office staff use the dispatch board."


def test_english_dates_put_the_day_first_and_amounts_are_read_either_way():
    """Django's "en" is American: 10/05/2026 and 4 p.m. An English reader in Germany gets the
    day first and a 24-hour clock; an English amount typed on an English page is a thousand."""
    from django.template import Context, Template
    from django.utils import translation
    from django.utils.formats import date_format

    from zunft.core.money import parse_amount

    day = dt.date(2026, 10, 5)
    with translation.override("en"):
        assert date_format(day, "SHORT_DATE_FORMAT") == "05.10.2026"
        shown = Template("{{ d|date }}, {{ t|time }}").render(
            Context({"d": day, "t": dt.time(16, 5)})
        )
        assert shown == "5 October 2026, 16:05"
        assert parse_amount("1,000") == 1000
    with translation.override("de"):
        assert date_format(day, "SHORT_DATE_FORMAT") == "05.10.2026"
        assert parse_amount("1.000") == 1000
