"""Units of quantity: one small vocabulary for the catalogue's parameters and the quote lines.

A unit is stored as its UN/ECE Recommendation 20 code — what an e-invoice line carries, and the
codes ``invoicing.models.InvoiceLine.Unit`` already stores (``HUR``, ``KMT``, ``H87``, ``LS``) —
and shown by its label in the reader's language: "Stück"/"pcs", "Std."/"h", "pauschal"/"lump
sum"; symbols such as m² or kWh read the same in both. Documents for the German market ask for
German explicitly (``unit_label(code, "de")``).
"""

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    PIECE = "H87", _("pcs")
    PACK = "XPK", _("pack")  # UN/ECE Rec. 21 "package", as EN 16931 code lists carry it
    HOUR = "HUR", _("h")
    SQUARE_METRE = "MTK", "m²"
    METRE = "MTR", "m"
    RUNNING_METRE = "LM", _("lin. m")
    CUBIC_METRE = "MTQ", "m³"
    KILOGRAM = "KGM", "kg"
    LITRE = "LTR", "l"
    KILOWATT = "KWT", "kW"
    KILOWATT_HOUR = "KWH", "kWh"
    KILOMETRE = "KMT", "km"
    LUMP_SUM = "LS", _("lump sum")


# How people write a unit (German and English, with and without the dot), lower case. Besides
# the codes and the labels of both languages, a unit typed before the vocabulary existed is
# read through this table.
SPELLINGS = {
    Unit.PIECE: ("stück", "stk", "stk.", "st", "st.", "pcs", "pcs.", "pc", "pc.", "piece"),
    Unit.PACK: ("pkg", "pkg.", "pck", "pck.", "pack", "packung", "packungen"),
    Unit.HOUR: ("h", "std", "std.", "stunde", "stunden", "hour", "hours", "hrs"),
    Unit.SQUARE_METRE: ("m²", "m2", "qm"),
    Unit.METRE: ("m", "meter", "metre"),
    Unit.RUNNING_METRE: ("lfm", "lfm.", "lfd. m", "lin. m"),
    Unit.CUBIC_METRE: ("m³", "m3", "cbm"),
    Unit.KILOGRAM: ("kg",),
    Unit.LITRE: ("l", "liter", "litre"),
    Unit.KILOWATT: ("kw",),
    Unit.KILOWATT_HOUR: ("kwh",),
    Unit.KILOMETRE: ("km",),
    Unit.LUMP_SUM: ("pauschal", "pausch.", "psch.", "pauschale", "flat", "flat rate", "lump sum"),
}
_BY_SPELLING = {
    spelling: unit for unit, spellings in SPELLINGS.items() for spelling in spellings
} | {unit.value.lower(): unit for unit in Unit}


# What the tradesperson's app offers for material used, most used first.
MATERIAL_UNITS = (
    Unit.PIECE,
    Unit.METRE,
    Unit.RUNNING_METRE,
    Unit.SQUARE_METRE,
    Unit.CUBIC_METRE,
    Unit.KILOGRAM,
    Unit.LITRE,
    Unit.PACK,
    Unit.LUMP_SUM,
)


def parse_unit(text: str) -> str | None:
    """The code of ``text`` — a code ("H87") or a common spelling ("Stück", "Std.", "m2") —,
    ``""`` for no unit, ``None`` when it is no unit of the vocabulary."""
    text = " ".join((text or "").split())
    if not text:
        return ""
    unit = _BY_SPELLING.get(text.lower())
    return unit.value if unit is not None else None


def unit_label(code: str, language: str | None = None) -> str:
    """The short label of ``code`` in ``language`` (the active language when not given). A value
    that is no code (typed before the vocabulary existed) is shown as it was typed."""
    if code not in Unit.values:
        return code
    if language is None:
        return str(Unit(code).label)
    with translation.override(language):
        return str(Unit(code).label)


def unknown_unit(text: str) -> str:
    """The error for a unit that is not in the vocabulary, listing what is."""
    return _("Unknown unit “%(unit)s”; use one of: %(units)s.") % {
        "unit": text,
        "units": ", ".join(f"{unit.value} ({unit.label})" for unit in Unit),
    }
