from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def get_field(form, name):
    """``form|get_field:name`` — a bound field by a name known only at run time."""
    return form[name]


@register.filter
def quantity(value):
    """A quantity as written in German, without trailing zeros: 15,1 (not 15,100), 2, 0,25."""
    if value in (None, ""):
        return ""
    from django.utils.formats import number_format

    exact = Decimal(str(value)).normalize()
    places = max(0, -exact.as_tuple().exponent)
    return number_format(exact, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def eur(value):
    """German money format: 1.234,56 €"""
    from zunft.core.money import format_eur

    return format_eur(value) if value is not None else ""
