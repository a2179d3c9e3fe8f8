"""Writes to customers and sites."""

import math

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from customers.geocoding import GeoResult, geocode_postcode, locate
from customers.models import Customer, Site
from trades.validators import normalize_compact

# How far a pin moved by hand may lie from its postal code's centre: German postcode areas are
# at most about 25 km across; farther away the pin (or the postal code) is wrong.
PIN_MAX_KM = 30


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (haversine on a sphere of 6371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


@transaction.atomic
def save_customer(data: dict, customer: Customer | None = None) -> Customer:
    """Create or update a customer after full validation."""
    customer = customer or Customer()
    for field, value in data.items():
        setattr(customer, field, value)
    if customer.vat_id:
        customer.vat_id = normalize_compact(customer.vat_id)
    customer.full_clean()
    customer.save()
    return customer


def locate_address(street: str, postal_code: str, city: str) -> GeoResult:
    """Where an address lies: the configured geocoder, else the postal code's centre. Raises
    ``ValidationError`` at ``postal_code`` when not even the postal code is known. An online
    geocoder may take seconds: call this before a transaction, not inside one, and hand the
    result to :func:`save_site`."""
    found = locate(street, postal_code, city)
    if found is None:
        raise _unknown_postal_code(postal_code)
    return found


def _unknown_postal_code(postal_code: str) -> ValidationError:
    return ValidationError({"postal_code": _("We do not know the postal code %s.") % postal_code})


def save_site(
    customer: Customer, data: dict, site: Site | None = None, *, located: GeoResult | None = None
) -> Site:
    """Create or update a site. Without coordinates the address is geocoded (postcode table or
    the configured geocoder), or ``located`` (from :func:`locate_address` for this address) is
    taken as it is; with coordinates the user has moved the pin themselves, which must lie
    within ``PIN_MAX_KM`` of the postal code's centre. An unknown postal code is refused, so
    every site can be planned. The lookup comes before the write, so called outside a
    transaction it holds none open while it waits."""
    site = site or Site(customer=customer)
    lat, lon = data.pop("latitude", None), data.pop("longitude", None)
    for field, value in data.items():
        setattr(site, field, value)
    pinned = lat is not None and lon is not None
    # A pin the homeowner placed needs only the postcode's centre (and state), not a geocoder.
    if pinned:
        found = geocode_postcode(site.postal_code, site.city)
        if found is None:
            raise _unknown_postal_code(site.postal_code)
    else:
        found = located or locate_address(site.street, site.postal_code, site.city)
    if not site.state:
        site.state = found.state
    if pinned:
        away = distance_km(lat, lon, found.lat, found.lon)
        if away > PIN_MAX_KM:
            raise ValidationError(
                {
                    "latitude": _(
                        "The pin lies %(km)d km from the postal code %(code)s; please put it on "
                        "the house (at most %(max)d km away)."
                    )
                    % {"km": round(away), "code": site.postal_code, "max": PIN_MAX_KM}
                }
            )
        site.location = Point(lon, lat, srid=4326)
        site.location_source = Site.Source.MANUAL
    else:
        site.location = Point(found.lon, found.lat, srid=4326)
        site.location_source = found.source
    site.full_clean()
    site.save()
    return site
