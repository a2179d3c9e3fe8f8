"""Money: Decimal only, one rounding rule (half up to the cent, as German invoices do)."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def round_money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_eur(value) -> str:
    """German format: 1.234,56 €"""
    text = f"{round_money(value):,.2f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".") + " €"
