"""The quote PDF a homeowner downloads."""

import datetime as dt
import subprocess
from io import BytesIO

import pytest
from django.test import Client
from pypdf import PdfReader

from jobs.models import Package, Quote
from tests.test_journey_api import portal, submit, wizard  # noqa: F401 - fixtures
from tests.test_planner_integration import bathroom  # noqa: F401 - fixture
from zunft.core.money import format_eur

pytestmark = pytest.mark.django_db


def test_the_quote_pdf_carries_lines_vat_totals_and_the_labour_share(portal, tmp_path):  # noqa: F811
    browser = Client()
    quote = submit(browser, wizard()).json()["quote"]
    response = browser.get(f"/angebot/{quote['id']}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(response.content)).pages)
    text = " ".join(text.split())
    for line in quote["lines"]:
        assert line["text"] in text
    assert "Umsatzsteuer 19 %" in text and format_eur(quote["vat"]) in text
    assert f"Angebotssumme brutto {format_eur(quote['gross'])}" in text
    assert format_eur(quote["labour_gross"]) in text and "§ 35a EStG" in text
    assert "Widerrufsbelehrung" in text
    # Who "uns" is (§ 246a EGBGB: name, address, e-mail), and the model withdrawal form.
    from trades.models import Cooperative

    coop = Cooperative.objects.get()
    assert f"müssen Sie uns ({coop.identity})" in text
    assert "Muster-Widerrufsformular" in text and f"An {coop.identity}:" in text
    assert "Folgen des Widerrufs" in text and "Unzutreffendes streichen" in text
    page = browser.get(f"/angebot/{quote['id']}/").content.decode()
    assert coop.identity in page  # the web's notice names it too
    assert Client().get(f"/angebot/{quote['id']}/pdf/").status_code == 302  # to the login

    pdf = tmp_path / "quote.pdf"
    pdf.write_bytes(response.content)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            pdf,
            tmp_path / "page",
        ],
        check=True,
    )
    assert (tmp_path / "page.png").stat().st_size > 10_000
    assert Package.objects.count() == 1


def test_the_quote_pdf_groups_lines_by_trade_and_is_dated_on_the_german_day(portal):  # noqa: F811
    browser = Client()
    quote = submit(browser, wizard()).json()["quote"]
    # Half past midnight in Germany is still the day before in UTC.
    Quote.objects.filter(pk=quote["id"]).update(
        created_at=dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)
    )
    response = browser.get(f"/angebot/{quote['id']}/pdf/")
    page = PdfReader(BytesIO(response.content)).pages[0].extract_text()
    assert "Datum 23.11.2026" in page
    rows = [row.strip() for row in page.splitlines()]
    trades = {line["trade"] for line in quote["lines"] if line["trade"]}
    assert len(trades) >= 2  # the bathroom's tasks alternate between trades
    assert sorted(row for row in rows if row in trades) == sorted(trades)  # one heading each


def test_the_sums_of_a_long_quote_stay_together_on_one_page(portal):  # noqa: F811
    """However many lines push the sums down, net, VAT and gross stand on one page: "brutto"
    alone at the top of the next reads like another quote."""
    from invoicing.quote_pdf import render_quote

    quote = Quote.objects.get(pk=submit(Client(), wizard()).json()["quote"]["id"])
    line = quote.lines.first()
    pages_seen = set()
    for _n in range(45):
        line.pk = None
        line.position = (line.position or 0) + 1
        line.save()
        pages = PdfReader(BytesIO(render_quote(quote)[2])).pages
        texts = [" ".join(page.extract_text().split()) for page in pages]
        [gross_page] = [t for t in texts if "Angebotssumme brutto" in t]
        assert "Summe netto" in gross_page and "Umsatzsteuer 19 %" in gross_page
        pages_seen.add(len(pages))
    assert len(pages_seen) > 1  # the lines did push the sums over a page break
