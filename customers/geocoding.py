"""Pluggable geocoding: the offline postcode table always works; an online geocoder is optional.

The geocoder is chosen with ``settings.GEOCODER``:

* ``"postcode"`` (default): centroids from the ``customers.PostalCode`` table (GeoNames import,
  ``manage.py import_postcodes``). Offline, coarse (a postcode area), good enough to plan travel.
* ``"nominatim"``: a Nominatim-style HTTP search (``GEOCODER_URL``, ``GEOCODER_USER_AGENT``,
  ``GEOCODER_TIMEOUT``). Off by default: it sends addresses to a third party and the public
  OpenStreetMap instance allows one request per second.
* a dotted path to a class with the :class:`Geocoder` interface.

:func:`locate` asks the configured geocoder and falls back to the postcode table, so an online
outage never blocks saving a site.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, replace
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from customers.models import PostalCode, State

logger = logging.getLogger(__name__)

SOURCE_POSTCODE = "postcode"  # = customers.Site.Source.POSTCODE
SOURCE_GEOCODER = "geocoder"  # = customers.Site.Source.GEOCODER

_STATE_CODES = {code for code, _label in State.choices}
_STATE_BY_NAME = {str(label).casefold(): code for code, label in State.choices}


@dataclass(frozen=True)
class GeoResult:
    """A geocoded point (WGS 84) with the place and federal state it lies in."""

    lat: float
    lon: float
    place: str
    state: str  # two-letter State code, "" when unknown
    source: str  # a ``Site.Source`` value: "postcode" or "geocoder"


class Geocoder(Protocol):
    def geocode(self, street: str, postal_code: str, city: str) -> GeoResult | None: ...


def state_code(name_or_code: str) -> str:
    """Our two-letter ``State`` code for a state name ("Niedersachsen") or code ("NI", "DE-NI");
    "" when it is not a German federal state."""
    value = (name_or_code or "").strip()
    code = value.upper().removeprefix("DE-")
    if code in _STATE_CODES:
        return code
    return _STATE_BY_NAME.get(value.casefold(), "")


def geocode_postcode(postal_code: str, place: str | None = None, country: str = "DE"):
    """The centroid of ``postal_code`` from the postcode table, or None when it is unknown.

    Several places can share a code (49692 Cappeln and its villages); the one named ``place``
    wins (exact, then prefix either way, ignoring case), else the first in file order.
    """
    code = (postal_code or "").strip()
    if not code:
        return None
    rows = list(
        PostalCode.objects.filter(country=country, code=code)
        .order_by("id")
        .only("place", "state", "location")
    )
    if not rows:
        return None
    row = _best_place(rows, place) if place else rows[0]
    return GeoResult(
        lat=row.location.y,
        lon=row.location.x,
        place=row.place,
        state=row.state,
        source=SOURCE_POSTCODE,
    )


def _best_place(rows: list[PostalCode], place: str) -> PostalCode:
    wanted = place.strip().casefold()
    for row in rows:
        if row.place.casefold() == wanted:
            return row
    # "Cappeln" finds "Cappeln (Oldenburg)", "Oldenburg (Oldb)" finds "Oldenburg".
    for row in rows:
        name = row.place.casefold()
        if name.startswith(wanted) or wanted.startswith(name):
            return row
    return rows[0]


class PostcodeGeocoder:
    """Offline: the postcode table."""

    def geocode(self, street: str, postal_code: str, city: str) -> GeoResult | None:
        return geocode_postcode(postal_code, city)


class NominatimGeocoder:
    """A Nominatim ``/search`` endpoint, queried with a structured address.

    Errors and empty answers give None (the caller falls back to the postcode table); results in
    another postal code are refused, since a typo in the street would otherwise move the site.
    """

    def __init__(self, url=None, user_agent=None, timeout=None, opener=None):
        self.url = url or getattr(
            settings, "GEOCODER_URL", "https://nominatim.openstreetmap.org/search"
        )
        self.user_agent = user_agent or getattr(
            settings, "GEOCODER_USER_AGENT", "zunft-geocoder/1.0"
        )
        self.timeout = timeout or getattr(settings, "GEOCODER_TIMEOUT", 5)
        self.opener = opener or urllib.request.urlopen

    def geocode(self, street: str, postal_code: str, city: str) -> GeoResult | None:
        query = urllib.parse.urlencode(
            {
                "street": street,
                "postalcode": postal_code,
                "city": city,
                "countrycodes": "de",
                "format": "jsonv2",
                "addressdetails": 1,
                "limit": 1,
            }
        )
        request = urllib.request.Request(
            f"{self.url}?{query}",
            headers={"User-Agent": self.user_agent, "Accept-Language": "de"},
        )
        try:
            with self.opener(request, timeout=self.timeout) as response:
                hits = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            logger.warning("geocoder %s failed: %s", self.url, exc)
            return None
        if not hits:
            return None
        return self._result(hits[0], postal_code)

    @staticmethod
    def _result(hit: dict, postal_code: str) -> GeoResult | None:
        address = hit.get("address") or {}
        if postal_code and address.get("postcode") not in (None, postal_code):
            return None
        try:
            lat, lon = float(hit["lat"]), float(hit["lon"])
        except (KeyError, TypeError, ValueError):
            return None
        place = next(
            (address[key] for key in ("city", "town", "village", "municipality") if key in address),
            "",
        )
        state = state_code(address.get("ISO3166-2-lvl4", "")) or state_code(
            address.get("state", "")
        )
        return GeoResult(lat=lat, lon=lon, place=place, state=state, source=SOURCE_GEOCODER)


GEOCODERS = {"postcode": PostcodeGeocoder, "nominatim": NominatimGeocoder}


def get_geocoder() -> Geocoder:
    """The geocoder named by ``settings.GEOCODER`` (a short name or a dotted class path)."""
    name = getattr(settings, "GEOCODER", "postcode") or "postcode"
    cls = GEOCODERS.get(name) or import_string(name)
    return cls()


def locate(street: str, postal_code: str, city: str) -> GeoResult | None:
    """Geocode an address with the configured geocoder, falling back to the postcode table.

    None means not even the postal code is known.
    """
    geocoder = get_geocoder()
    if not isinstance(geocoder, PostcodeGeocoder):
        found = geocoder.geocode(street, postal_code, city)
        if found is not None:
            if not found.state:
                # Online results sometimes lack the state; the postcode table knows it.
                fallback = geocode_postcode(postal_code, city)
                if fallback is not None:
                    found = replace(found, state=fallback.state)
            return found
    return geocode_postcode(postal_code, city)
