"""Units of template parameters and quote lines become codes of one vocabulary
(``zunft.core.units.Unit``, UN/ECE Rec. 20), shown in the reader's language.

The units typed so far ("Stück", "m²", "h", "pauschal", "flat", "Stk." …) are mapped to their
codes; a unit this table does not know stays as it was and is still shown as typed. Lines of
accepted quotes are left as issued: the signed contract (re-rendered as its PDF on demand) keeps
the words it was accepted with. Going back writes the German label in place of each code."""

from django.db import migrations, models

# Frozen here: a migration must not change when the running code's table changes.
CODES = {
    "H87": ("stück", "stk", "stk.", "st", "st.", "pcs", "pcs.", "pc", "pc.", "piece"),
    "HUR": ("h", "std", "std.", "stunde", "stunden", "hour", "hours", "hrs"),
    "MTK": ("m²", "m2", "qm"),
    "MTR": ("m", "meter", "metre"),
    "LM": ("lfm", "lfm.", "lfd. m", "lin. m"),
    "MTQ": ("m³", "m3", "cbm"),
    "KGM": ("kg",),
    "LTR": ("l", "liter", "litre"),
    "KWT": ("kw",),
    "KWH": ("kwh",),
    "KMT": ("km",),
    "LS": ("pauschal", "pausch.", "psch.", "pauschale", "flat", "flat rate", "lump sum"),
}
BY_SPELLING = {spelling: code for code, spellings in CODES.items() for spelling in spellings}
BY_SPELLING |= {code.lower(): code for code in CODES}
GERMAN = {
    "H87": "Stück",
    "HUR": "h",
    "MTK": "m²",
    "MTR": "m",
    "LM": "lfm",
    "MTQ": "m³",
    "KGM": "kg",
    "LTR": "l",
    "KWT": "kW",
    "KWH": "kWh",
    "KMT": "km",
    "LS": "pauschal",
}
MODELS = ("TemplateParameter", "QuoteLine")


def _rows(apps, name):
    rows = apps.get_model("jobs", name).objects.all()
    return rows.exclude(quote__status="accepted") if name == "QuoteLine" else rows


def to_codes(apps, schema_editor):
    for name in MODELS:
        rows = _rows(apps, name)
        for value in rows.order_by().values_list("unit", flat=True).distinct():
            code = BY_SPELLING.get(" ".join(value.split()).lower())
            if code is not None and code != value:
                rows.filter(unit=value).update(unit=code)


def to_german(apps, schema_editor):
    for name in MODELS:
        for code, german in GERMAN.items():
            _rows(apps, name).filter(unit=code).update(unit=german)


UNITS = [
    ("H87", "pcs"),
    ("HUR", "h"),
    ("MTK", "m²"),
    ("MTR", "m"),
    ("LM", "lin. m"),
    ("MTQ", "m³"),
    ("KGM", "kg"),
    ("LTR", "l"),
    ("KWT", "kW"),
    ("KWH", "kWh"),
    ("KMT", "km"),
    ("LS", "lump sum"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0009_task_overrun_announced"),
    ]

    operations = [
        migrations.AlterField(
            model_name="quoteline",
            name="unit",
            field=models.CharField(choices=UNITS, max_length=10, verbose_name="unit"),
        ),
        migrations.AlterField(
            model_name="templateparameter",
            name="unit",
            field=models.CharField(blank=True, choices=UNITS, max_length=20, verbose_name="unit"),
        ),
        migrations.RunPython(to_codes, to_german),
    ]
