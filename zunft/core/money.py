"""Money: ``Decimal`` only, one rounding rule, and a taxed amount that always adds up.

Commercial rounding (kaufmännisch: half up, to the cent) is what German invoices and the EN 16931
rules (BR-CO-*) expect; it is applied in exactly one place, :func:`round_money`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_decimal(value) -> Decimal:
    """A Decimal from a Decimal, int or string; floats are refused (they carry binary error)."""
    if isinstance(value, float):
        raise TypeError("money is never a float; pass a Decimal or a string")
    return value if isinstance(value, Decimal) else Decimal(value)


def round_money(value) -> Decimal:
    """Round to the cent, half up (0.005 → 0.01, -0.005 → -0.01)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def tax_for(net, rate) -> Decimal:
    """The VAT on a net amount at ``rate`` per cent, rounded once."""
    return round_money(to_decimal(net) * to_decimal(rate) / Decimal(100))


@dataclass(frozen=True)
class TaxedAmount:
    """Net, tax and gross of one amount. It refuses to exist unless net + tax = gross and all
    three are whole cents, so a total can never drift by a rounding cent."""

    net: Decimal
    tax: Decimal
    gross: Decimal

    def __post_init__(self):
        for name in ("net", "tax", "gross"):
            value = to_decimal(getattr(self, name))
            if value != round_money(value):
                raise ValueError(f"{name} {value} is not a whole number of cents")
            object.__setattr__(self, name, round_money(value))
        if self.net + self.tax != self.gross:
            raise ValueError(f"net {self.net} + tax {self.tax} ≠ gross {self.gross}")

    @classmethod
    def from_net(cls, net, rate) -> TaxedAmount:
        net = round_money(net)
        tax = tax_for(net, rate)
        return cls(net=net, tax=tax, gross=net + tax)

    @classmethod
    def zero(cls) -> TaxedAmount:
        return cls(ZERO, ZERO, ZERO)

    def __add__(self, other: TaxedAmount) -> TaxedAmount:
        return TaxedAmount(self.net + other.net, self.tax + other.tax, self.gross + other.gross)

    def __sub__(self, other: TaxedAmount) -> TaxedAmount:
        return self + (-other)

    def __neg__(self) -> TaxedAmount:
        return TaxedAmount(-self.net, -self.tax, -self.gross)


def format_eur(value, *, symbol: bool = True) -> str:
    """German notation: 1.234,56 €."""
    text = f"{round_money(value):,.2f}".replace(",", "\u2009").replace(".", ",")
    text = text.replace("\u2009", ".")
    return f"{text} €" if symbol else text


def format_eur_english(value) -> str:
    """English notation, for English pages: €1,234.56 (-€5.00)."""
    amount = round_money(value)
    return f"{'-' if amount < 0 else ''}€{abs(amount):,.2f}"


def format_money(value) -> str:
    """Money in the active language's notation, for pages and their messages (documents,
    letters and mails stay German: ``format_eur``)."""
    from django.utils.translation import get_language

    english = (get_language() or "de").startswith("en")
    return format_eur_english(value) if english else format_eur(value)


def _plain(value) -> Decimal:
    """``value`` without trailing zeros, never in exponent notation (15.1, 2; not 2E+1)."""
    value = to_decimal(value).normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral() else value


def format_quantity(value) -> str:
    """German notation for documents: 1.234,5 (not 1.234,500)."""
    text = f"{_plain(value):,}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def format_number(value) -> str:
    """A quantity or rate in the active language's notation, for pages: 1.234,5 on German
    pages, 1,234.5 on English ones (documents stay German: ``format_quantity``)."""
    from django.utils.formats import number_format

    return number_format(_plain(value), use_l10n=True, force_grouping=True)


GERMAN_THOUSANDS = re.compile(r"^-?[1-9]\d{0,2}(\.\d{3})+$")
ENGLISH_THOUSANDS = re.compile(r"^-?[1-9]\d{0,2}(,\d{3})+$")


def parse_amount(value: str, language: str | None = None) -> Decimal:
    """An amount as people type it: ``1.234,56``, ``1234,56``, ``1234.56`` or ``1.234``
    (German thousands), and in English also ``1,234.56`` and ``1,234``. With both separators
    the last one is the decimal point, whatever the language, so ``1,000.00`` is a thousand.
    Raises ValueError when it is not a number."""
    from django.utils.translation import get_language

    english = (language or get_language() or "de").startswith("en")
    text = value.strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    if "e" in text.lower():  # nobody types 1e3 for an amount, and 1e999 broke rounding
        raise ValueError(text)
    if "," in text and "." in text:
        point = "," if text.rfind(",") > text.rfind(".") else "."
        grouping = "." if point == "," else ","
        whole, _point, fraction = text.rpartition(point)
        sign = "-" if whole.startswith("-") else ""
        if not re.fullmatch(rf"\d{{1,3}}(\{grouping}\d{{3}})+", whole.lstrip("-")):
            raise ValueError(text)  # "1.2,3": not a way anybody writes a number
        text = f"{sign}{whole.lstrip('-').replace(grouping, '')}.{fraction}"
    elif "," in text:
        text = (
            text.replace(",", "")
            if english and ENGLISH_THOUSANDS.match(text)
            else (text.replace(",", "."))
        )
    elif GERMAN_THOUSANDS.match(text):
        if english:  # "1.000": a thousand the German way, or 1 with three decimals? Ask.
            raise ValueError(text)
        text = text.replace(".", "")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not amount.is_finite():
        raise ValueError(text)
    return amount


def format_iban(value) -> str:
    """An IBAN in groups of four, as it is printed and read out: DE89 3704 0044 0532 0130 00
    (pages, documents and letters alike)."""
    compact = "".join(str(value or "").split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
