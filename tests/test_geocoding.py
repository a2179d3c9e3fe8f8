"""Offline geocoding: the GeoNames postcode import and lookups, and the pluggable geocoder."""

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from customers import geocoding
from customers.geocoding import GeoResult, NominatimGeocoder, geocode_postcode, locate
from customers.models import PostalCode

FIXTURE = Path(__file__).parent / "fixtures" / "postcodes_DE.txt"
DE_ROWS = 9  # the fixture's German rows; one Austrian row is skipped


def run_import(*args) -> str:
    out = io.StringIO()
    call_command("import_postcodes", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def postcodes(db):
    run_import(str(FIXTURE))


@pytest.mark.django_db
def test_import_counts_and_is_idempotent():
    first = run_import(str(FIXTURE))
    assert f"{DE_ROWS} new, 0 updated, 0 unchanged, 1 skipped" in first
    assert PostalCode.objects.count() == DE_ROWS
    before = list(PostalCode.objects.order_by("id").values_list())

    second = run_import(str(FIXTURE))
    assert f"0 new, 0 updated, {DE_ROWS} unchanged" in second
    assert list(PostalCode.objects.order_by("id").values_list()) == before

    row = PostalCode.objects.get(code="49661")
    assert (row.place, row.state, row.district, row.accuracy) == (
        "Cloppenburg",
        "NI",
        "Cloppenburg",
        4,
    )
    assert (round(row.location.y, 4), round(row.location.x, 4)) == (52.8475, 8.045)


@pytest.mark.django_db
def test_import_updates_changed_rows_and_reads_zip(tmp_path):
    run_import(str(FIXTURE))
    PostalCode.objects.filter(code="49716").update(district="falsch")
    archive = tmp_path / "DE.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(FIXTURE, "DE.txt")
    output = run_import(str(archive), "--country", "de")
    assert f"0 new, 1 updated, {DE_ROWS - 1} unchanged" in output
    assert PostalCode.objects.get(code="49716").district == "Landkreis Emsland"


@pytest.mark.django_db
def test_lookup_by_code_and_by_code_and_place(postcodes):
    found = geocode_postcode("26219")
    assert found == GeoResult(lat=53.0, lon=7.95, place="Bösel", state="NI", source="postcode")

    # Two places share 49688: the one asked for wins, else the first in the file.
    assert geocode_postcode("49688").place == "Lastrup"
    assert geocode_postcode("49688", "Hemmelte").place == "Hemmelte"
    assert geocode_postcode("49688", "hemmelte").place == "Hemmelte"
    assert geocode_postcode("49688", "Nirgendwo").place == "Lastrup"
    # A customer writes "Cappeln"; GeoNames says "Cappeln (Oldenburg)".
    assert geocode_postcode("49692", "Cappeln").place == "Cappeln (Oldenburg)"

    assert locate("Lange Straße 1", "26122", "Oldenburg").lat == pytest.approx(53.1407)


@pytest.mark.django_db
def test_unknown_postcode_is_none(postcodes):
    assert geocode_postcode("99999") is None
    assert geocode_postcode("") is None
    assert locate("Hauptstraße 1", "99999", "Irgendwo") is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("DE\t49661\tCloppenburg\n", "line 1: expected 12 tab-separated columns"),
        (
            "DE\t49661\tCloppenburg\tNiedersachsen\tNI\t\t00\tCloppenburg\t03453\t8.045\tx\t4\n",
            "line 1: bad coordinates",
        ),
        ("", "no rows for country DE"),
    ],
)
def test_bad_file_is_refused_and_nothing_is_written(tmp_path, content, message):
    bad = tmp_path / "DE.txt"
    good_line = FIXTURE.read_text(encoding="utf-8").splitlines()[0]
    # A bad row after a good one: nothing may be half-imported.
    bad.write_text(content if not content else good_line + "\n" + content, encoding="utf-8")
    if content:
        message = message.replace("line 1", "line 2")
    with pytest.raises(CommandError, match=message):
        run_import(str(bad))
    assert not PostalCode.objects.exists()


@pytest.mark.django_db
def test_missing_file_and_zip_without_country_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run_import(str(tmp_path / "missing.txt"))
    archive = tmp_path / "AT.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("AT.txt", "")
    with pytest.raises(CommandError, match=r"contains no DE\.txt"):
        run_import(str(archive))


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def fake_opener(payload, seen=None):
    def opener(request, timeout):
        if seen is not None:
            seen.append(request)
        if isinstance(payload, Exception):
            raise payload
        return FakeResponse(json.dumps(payload).encode())

    return opener


NOMINATIM_HIT = {
    "lat": "52.8461",
    "lon": "8.0468",
    "address": {
        "road": "Lange Straße",
        "town": "Cloppenburg",
        "state": "Niedersachsen",
        "ISO3166-2-lvl4": "DE-NI",
        "postcode": "49661",
    },
}


def test_nominatim_parses_a_structured_search_without_network():
    seen = []
    geocoder = NominatimGeocoder(
        url="https://geo.example/search", opener=fake_opener([NOMINATIM_HIT], seen)
    )
    found = geocoder.geocode("Lange Straße 5", "49661", "Cloppenburg")
    assert found == GeoResult(52.8461, 8.0468, "Cloppenburg", "NI", "geocoder")
    url = seen[0].full_url
    assert url.startswith("https://geo.example/search?")
    assert "postalcode=49661" in url and "countrycodes=de" in url
    assert seen[0].get_header("User-agent")


def test_nominatim_refuses_another_postcode_and_survives_errors():
    other = {**NOMINATIM_HIT, "address": {**NOMINATIM_HIT["address"], "postcode": "26122"}}
    assert NominatimGeocoder(opener=fake_opener([other])).geocode("x", "49661", "y") is None
    assert NominatimGeocoder(opener=fake_opener([])).geocode("x", "49661", "y") is None
    broken = NominatimGeocoder(opener=fake_opener(OSError("offline")))
    assert broken.geocode("x", "49661", "y") is None


@pytest.mark.django_db
def test_locate_uses_the_configured_geocoder_and_falls_back(postcodes, settings, monkeypatch):
    assert geocoding.get_geocoder().__class__ is geocoding.PostcodeGeocoder

    settings.GEOCODER = "nominatim"
    monkeypatch.setattr(geocoding.urllib.request, "urlopen", fake_opener([NOMINATIM_HIT]))
    assert locate("Lange Straße 5", "49661", "Cloppenburg").source == "geocoder"

    # The online geocoder is down: the postcode table still answers.
    monkeypatch.setattr(geocoding.urllib.request, "urlopen", fake_opener(OSError("offline")))
    found = locate("Lange Straße 5", "49661", "Cloppenburg")
    assert (found.source, found.place, found.state) == ("postcode", "Cloppenburg", "NI")
