from django import template

register = template.Library()


@register.filter
def get_field(form, name):
    """``form|get_field:name`` — a bound field by a name known only at run time."""
    return form[name]


@register.filter
def quantity(value):
    """A quantity as the page's language writes it, without trailing zeros: 15,1 (not 15,100),
    2, 0,25 on German pages; 15.1, 2, 0.25 on English ones."""
    from zunft.core.money import format_number

    return format_number(value) if value not in (None, "") else ""


@register.filter
def eur(value):
    """Money as the page's language writes it: 1.234,56 € on German pages, €1,234.56 on English
    ones (documents and letters stay German: they use ``format_eur`` itself)."""
    from zunft.core.money import format_money

    return format_money(value) if value is not None else ""


@register.filter(expects_localtime=True)
def day(value, style="date"):
    """``{{ when|day }}``, ``{{ when|day:"weekday" }}``: a date as the page's language writes
    it (``zunft.core.language.DAY_FORMATS``)."""
    from zunft.core.language import format_day

    return format_day(value, style) if value not in (None, "") else ""


@register.filter
def iban(value):
    """An IBAN in groups of four, as it is printed and read out: DE89 3704 0044 0532 0130 00."""
    from zunft.core.money import format_iban

    return format_iban(value)
