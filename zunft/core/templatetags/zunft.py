from django import template

register = template.Library()


@register.filter
def get_field(form, name):
    """``form|get_field:name`` — a bound field by a name known only at run time."""
    return form[name]


@register.filter
def quantity(value):
    """A quantity as written in German, without trailing zeros: 15,1 (not 15,100), 2, 0,25."""
    from zunft.core.money import format_quantity

    return format_quantity(value) if value not in (None, "") else ""


@register.filter
def eur(value):
    """German money format: 1.234,56 €"""
    from zunft.core.money import format_eur

    return format_eur(value) if value is not None else ""
