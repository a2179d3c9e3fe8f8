"""Reads of customers and sites: office staff see all, a homeowner only their own."""

import re

from django.db.models import F, Func, Q, QuerySet, Value

from customers.models import Customer, Site
from trades.selectors import is_office


def customers_visible_to(user) -> QuerySet[Customer]:
    qs = Customer.objects.order_by("last_name", "company", "id")
    if is_office(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(user=user)


def sites_visible_to(user) -> QuerySet[Site]:
    qs = Site.objects.select_related("customer").order_by("customer_id", "id")
    if is_office(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(customer__user=user)


# A number as the office hears or reads it: "+49 4471 123456", "0049 (4471) 12 34 56" and
# "04471/123456" are one number. Digits only, the German country code as the trunk zero. Six
# digits at least: five are a postal code.
_PHONE_LIKE = re.compile(r"^\+?[\d\s()/.-]+$")
MIN_PHONE_DIGITS = 6


def phone_digits(number: str) -> str:
    return re.sub(r"^(00)?49", "0", re.sub(r"\D", "", number))


class PhoneDigits(Func):
    """``phone_digits`` of a field, in SQL."""

    def __init__(self, field: str):
        digits = Func(F(field), Value(r"\D"), Value(""), Value("g"), function="regexp_replace")
        super().__init__(digits, Value("^(00)?49"), Value("0"), function="regexp_replace")


def is_phone_number(query: str) -> bool:
    query = query.strip()
    return bool(_PHONE_LIKE.match(query)) and len(phone_digits(query)) >= MIN_PHONE_DIGITS


def search_customers(qs: QuerySet, query: str, prefix: str = "", **also) -> QuerySet:
    """``qs`` narrowed to the customers a clerk means by ``query``: a phone number (the caller
    ID, in any spelling), or words each found in the name, company or e-mail address, or in one
    of the lookups ``also`` (``{"street": "icontains"}``). ``prefix`` reaches the customer from
    a related model (``"customer__"`` for sites)."""
    if is_phone_number(query):
        return qs.alias(caller_phone=PhoneDigits(f"{prefix}phone")).filter(
            caller_phone__contains=phone_digits(query)
        )
    fields = [f"{prefix}{name}__icontains" for name in ("last_name", "first_name", "company")]
    fields += [f"{prefix}email__icontains", *(f"{field}__{how}" for field, how in also.items())]
    for word in query.split():
        qs = qs.filter(_any(fields, word))
    return qs


def _any(lookups: list[str], value: str) -> Q:
    found = Q()
    for lookup in lookups:
        found |= Q(**{lookup: value})
    return found
