"""Writes to customers and sites."""

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from customers.geocoding import locate
from customers.models import Customer, Site
from trades.validators import normalize_compact


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


@transaction.atomic
def save_site(customer: Customer, data: dict, site: Site | None = None) -> Site:
    """Create or update a site. Without coordinates the address is geocoded (postcode table or
    the configured geocoder); with coordinates the user has moved the pin themselves. An unknown
    postal code is refused, so every site can be planned."""
    site = site or Site(customer=customer)
    lat, lon = data.pop("latitude", None), data.pop("longitude", None)
    for field, value in data.items():
        setattr(site, field, value)
    found = locate(site.street, site.postal_code, site.city)
    if found is None:
        raise ValidationError(
            {"postal_code": _("We do not know the postal code %s.") % site.postal_code}
        )
    if not site.state:
        site.state = found.state
    if lat is not None and lon is not None:
        site.location = Point(lon, lat, srid=4326)
        site.location_source = Site.Source.MANUAL
    else:
        site.location = Point(found.lon, found.lat, srid=4326)
        site.location_source = found.source
    site.full_clean()
    site.save()
    return site
