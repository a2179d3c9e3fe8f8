"""Material recorded on site gets its unit from the same vocabulary as quote lines, plus "pack"
(``XPK``), which the tradesperson's app offered as "Pkg".

Units typed so far ("Stk", "m", "Pkg" …) are mapped to their codes; one this table does not know
stays as typed and is still shown as typed. Going back writes German spellings in place of the
codes (the app's old ones where it had them), and "Pkg." for a pack on quote lines and template
parameters, which had no such unit before."""

import importlib

from django.db import migrations, models

# 0010's frozen tables (a migration must not change when the running code's table changes), plus
# the pack.
previous = importlib.import_module("jobs.migrations.0010_units_as_unece_codes")
CODES = {**previous.CODES, "XPK": ("pkg", "pkg.", "pck", "pck.", "pack", "packung", "packungen")}
BY_SPELLING = {spelling: code for code, spellings in CODES.items() for spelling in spellings}
BY_SPELLING |= {code.lower(): code for code in CODES}
TYPED = {**previous.GERMAN, "H87": "Stk", "XPK": "Pkg"}  # the app's old spellings where it had them
UNITS = [previous.UNITS[0], ("XPK", "pack"), *previous.UNITS[1:]]


def to_codes(apps, schema_editor):
    rows = apps.get_model("jobs", "MaterialEntry").objects.all()
    for value in rows.order_by().values_list("unit", flat=True).distinct():
        code = BY_SPELLING.get(" ".join(value.split()).lower())
        if code is not None and code != value:
            rows.filter(unit=value).update(unit=code)


def to_typed(apps, schema_editor):
    rows = apps.get_model("jobs", "MaterialEntry").objects.all()
    for code, typed in TYPED.items():
        rows.filter(unit=code).update(unit=typed)
    for name in ("QuoteLine", "TemplateParameter"):
        apps.get_model("jobs", name).objects.filter(unit="XPK").update(unit="Pkg.")


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0010_units_as_unece_codes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="materialentry",
            name="unit",
            field=models.CharField(choices=UNITS, max_length=10, verbose_name="unit"),
        ),
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
        migrations.RunPython(to_codes, to_typed),
    ]
