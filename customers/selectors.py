"""Reads of customers and sites: office staff see all, a homeowner only their own."""

from django.db.models import QuerySet

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
