"""The request wizard as a Django form, built from the template's parameters."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.geocoding import geocode_postcode
from jobs.models import PackageTemplate, QuoteLine, TemplateParameter
from trades.models import Trade
from zunft.core.forms import ServiceErrorsMixin
from zunft.core.money import parse_amount
from zunft.core.units import Unit, parse_unit


def _parse_dates(text: str) -> list[dt.date]:
    days = []
    for part in text.replace(";", ",").replace("\n", ",").split(","):
        part = part.strip()
        if not part:
            continue
        for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y"):
            try:
                days.append(dt.datetime.strptime(part, fmt).date())
                break
            except ValueError:
                continue
        else:
            raise ValidationError(
                _("%(value)s is not a date (e.g. 24.12.2026)."), params={"value": part}
            )
    return days


def _unit_label(name: str, unit: str) -> str:
    """The label of a quantity with its unit, "Fläche (m²)"; a name with brackets of its own
    gets the unit after a comma ("Wandfläche (Fliesen), m²"), not a second pair."""
    return f"{name}, {unit}" if name.rstrip().endswith(")") else f"{name} ({unit})"


def _plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and in plain notation (7.5, 20; never 2E+1)."""
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


class RequestForm(ServiceErrorsMixin, forms.Form):
    street = forms.CharField(label=_("Street and number"), max_length=200, min_length=3)
    postal_code = forms.RegexField(
        label=_("Postal code"),
        regex=r"^\d{5}$",
        max_length=5,
        error_messages={"invalid": _("A German postal code has five digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )
    city = forms.CharField(label=_("Town"), max_length=100, min_length=2)
    # Set by the map (portal.js) when the homeowner moves the pin onto the house; without
    # JavaScript both stay empty and the postal code's centre is used.
    latitude = forms.FloatField(
        label=_("Pin on the map"),
        required=False,
        min_value=47,
        max_value=55.1,
        widget=forms.HiddenInput,
    )
    longitude = forms.FloatField(
        label=_("Pin on the map"),
        required=False,
        min_value=5.8,
        max_value=15.1,
        widget=forms.HiddenInput,
    )
    access_notes = forms.CharField(
        label=_("How to get in (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    earliest_start = forms.DateField(
        label=_("Work may start from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    blocked_days = forms.CharField(
        label=_("Days when work is impossible (optional)"),
        required=False,
        help_text=_("Dates separated by commas, e.g. 24.12.2026, 31.12.2026"),
    )
    first_name = forms.CharField(label=_("First name (optional)"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    phone = forms.CharField(label=_("Phone (optional)"), max_length=40, required=False)
    privacy_consent = forms.BooleanField(
        label=_(
            "I have read the privacy notice and agree that my data is used to prepare the quote."
        ),
        error_messages={"required": _("Please accept the privacy notice.")},
    )

    def __init__(self, *args, template: PackageTemplate, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.template = template
        self.parameter_fields = []
        for p in template.parameters.all():
            name = f"param_{p.code}"
            whole = p.kind == TemplateParameter.Kind.INTEGER
            field_class = forms.IntegerField if whole else forms.DecimalField
            # "6", not "6.00": the stored values have two places whatever the kind
            plain = int if whole else _plain
            self.fields[name] = field_class(
                label=_unit_label(p.name, p.get_unit_display()) if p.unit else p.name,
                min_value=plain(p.minimum),
                max_value=plain(p.maximum),
                initial=plain(p.default),
                # The limits as the page writes numbers (5,5 in German), not Django's 5.5.
                error_messages={
                    "min_value": _("At least %s.") % number_format(plain(p.minimum)),
                    "max_value": _("At most %s.") % number_format(plain(p.maximum)),
                },
                widget=forms.NumberInput(
                    attrs={
                        "inputmode": "numeric" if whole else "decimal",
                        "step": "1" if whole else "0.5",
                    }
                ),
            )
            self.parameter_fields.append(name)
        if user is not None and user.is_authenticated:
            for name in ("first_name", "last_name", "email"):
                self.fields[name].initial = getattr(user, name)
        self.fields["earliest_start"].initial = timezone.localdate() + dt.timedelta(days=21)

    def clean_earliest_start(self):
        value = self.cleaned_data["earliest_start"]
        if value < timezone.localdate():
            raise ValidationError(_("The start cannot lie in the past."))
        return value

    def clean_blocked_days(self):
        days = _parse_dates(self.cleaned_data.get("blocked_days", ""))
        if any(day < timezone.localdate() for day in days):
            raise ValidationError(_("Blocked days cannot lie in the past."))
        return days

    def clean(self):
        data = super().clean()
        if "postal_code" in self.errors and not self.data.get(self.add_prefix("city"), "").strip():
            # The town is filled in from the postal code: its error is the one to fix.
            self.errors.pop("city", None)
        given = [data.get(name) is not None for name in ("latitude", "longitude")]
        if any(given) and not all(given):
            self.add_error("latitude", _("Place the pin on the map again."))
        return data

    def site_values(self) -> dict:
        """The site as ``save_site`` takes it: the address, and the pin when it was moved."""
        data = self.cleaned_data
        site = {k: data[k] for k in ("street", "postal_code", "city", "access_notes")}
        if data.get("latitude") is not None and data.get("longitude") is not None:
            site["latitude"], site["longitude"] = data["latitude"], data["longitude"]
        return site

    def pin_errors(self) -> list[str]:
        """The pin's errors, named (the fields themselves are hidden inputs)."""
        label = self.fields["latitude"].label
        return [
            f"{label}: {error}"
            for error in (*self.errors.get("latitude", []), *self.errors.get("longitude", []))
        ]

    def parameter_values(self) -> dict:
        return {
            name.removeprefix("param_"): self.cleaned_data[name] for name in self.parameter_fields
        }

    def service_field(self, key: str, aliases: dict) -> str:
        """The service names ``site.postal_code`` and ``parameters.area``; the form's fields are
        ``postal_code`` and ``param_area``."""
        field = key.removeprefix("site.")
        if field.startswith("parameters."):
            field = "param_" + field.removeprefix("parameters.")
        return field


class DirectoryFilter(forms.Form):
    """The member directory's filters: a trade and a postal code (members serving it)."""

    gewerk = forms.ChoiceField(label=pgettext_lazy("one trade", "Trade"), required=False)
    plz = forms.RegexField(
        label=_("Postal code"),
        required=False,
        regex=r"^\d{5}$",
        max_length=5,
        help_text=_("Shows the members who work at this postal code."),
        error_messages={"invalid": _("A German postal code has five digits.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )

    def __init__(self, *args, trades, **kwargs):
        super().__init__(*args, **kwargs)
        self.point, self.place = None, ""
        self.trades = {t.code: t for t in trades}
        self.fields["gewerk"].choices = [("", _("All trades"))] + [(t.code, t.name) for t in trades]

    def clean_plz(self):
        code = self.cleaned_data["plz"]
        if code:
            found = geocode_postcode(code)
            if found is None:
                raise ValidationError(
                    _("We do not know the postal code %(code)s."), params={"code": code}
                )
            self.point = Point(found.lon, found.lat, srid=4326)
            self.place = found.place
        return code

    @property
    def trade(self):
        return self.trades.get(self.cleaned_data.get("gewerk") or "")


# --- the office revises a quote -------------------------------------------------------------------


class GermanDecimalField(forms.DecimalField):
    """A number as people type it here: ``1.234,50`` as well as ``1234.50``."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):  # an initial value, not typed
            return value
        try:
            return parse_amount(str(value))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class UnitField(forms.ChoiceField):
    """A unit of the vocabulary, offered by its label in the page's language; a common spelling
    ("Stk.", "m2", "pauschal") is taken for its code."""

    def __init__(self, **kwargs):
        super().__init__(choices=[("", "—"), *Unit.choices], **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return parse_unit(value) or value


def trade_choices() -> list[tuple[str, str]]:
    """The cooperative's trades for a quote line: stored by the German name the instant quote
    writes (the quote groups its lines by it and names each group in the reader's language),
    offered by the name in the page's language."""
    trades = Trade.objects.only("name_de", "name_en")
    return sorted(((t.name_de, t.name) for t in trades), key=lambda choice: choice[1].lower())


class QuoteLineForm(forms.Form):
    """One line of a revised quote; German number input (``1.234,50``) is accepted."""

    # The blank choice lets an extra row stay untouched, so that it is ignored rather than refused.
    kind = forms.ChoiceField(label=_("kind"), choices=[("", "—"), *QuoteLine.Kind.choices])
    # Blank: the cooperative's own line (the coordination fee), headed "Cooperative" on the quote.
    trade = forms.ChoiceField(
        label=_("trade"),
        required=False,
        error_messages={"invalid_choice": _("“%(value)s” is not one of the cooperative's trades.")},
    )
    text = forms.CharField(label=_("text"), max_length=250)
    quantity = GermanDecimalField(
        label=_("quantity"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,  # shown as 24,00
        # Django's own message prints the limit as 0.01, whatever the language.
        error_messages={"min_value": _("The quantity must be more than 0.")},
    )
    unit = UnitField(label=_("unit"))
    unit_price = GermanDecimalField(
        label=_("unit price (net, €)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        localize=True,
    )
    remove = forms.BooleanField(label=_("remove"), required=False)

    def __init__(self, *args, trades: list[tuple[str, str]] = (), row: int | str = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.row = row
        for field in self.fields.values():
            # The table's column heads name the cells for the eye only: each control says its
            # row and column itself.
            field.widget.attrs["aria-label"] = self.cell_name(field.label)
        typed = self.initial.get("unit")
        if typed and typed not in Unit.values:
            # A unit typed before the vocabulary existed stays on offer, shown as it was typed.
            self.fields["unit"].choices = [*self.fields["unit"].choices, (typed, typed)]
        trade_choices = [("", _("Cooperative")), *trades]
        typed = self.initial.get("trade")
        if typed and typed not in dict(trades):
            # A trade typed when this was free text stays on offer, said to be none of ours.
            label = _("%(trade)s (not one of the cooperative's trades)") % {"trade": typed}
            trade_choices.append((typed, label))
        self.fields["trade"].choices = trade_choices

    def cell_name(self, column) -> str:
        return _("Line %(row)s: %(column)s") % {"row": self.row, "column": column}

    @property
    def cells(self) -> list[tuple]:
        """The row's controls with the name each says (its row and column), for the table."""
        return [
            (self[name], field.widget.attrs["aria-label"]) for name, field in self.fields.items()
        ]

    def has_changed(self):
        # Ticking "remove" on a blank extra row does not make it a line.
        return any(name != "remove" for name in self.changed_data)

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self.cleaned_data.get("remove"):
            self._errors.clear()  # a line on its way out need not be valid


class BaseRowFormSet(forms.BaseFormSet):
    """Rows of a table form (pre-filled ones and blank extra rows) whose service names its
    errors ``<service_key>.<n>.<field>``, ``n`` counting the kept rows from 1. Every pre-filled
    row is kept, changed or not, unless ticked "remove"; an extra row counts once something is
    typed in it, and then must be complete. The row forms have ``row`` and ``cell_name``."""

    service_key = "lines"
    first_field = "kind"  # where an error about a whole row goes
    empty_message = _("A quote needs at least one line.")
    row_label = _("Line %(row)s")

    def get_form_kwargs(self, index):
        # ``index`` is None for the empty form, a template for rows added in the browser.
        row = "__prefix__" if index is None else index + 1
        return {**super().get_form_kwargs(index), "row": row}

    def error_summary(self) -> list[tuple[str, str]]:
        """Each line error as (id of the control to go to, the message naming row and column);
        an error about a whole line (from the service) goes to its first control."""
        summary = []
        for form in self.forms:
            for name, errors in form.errors.items():
                if name in form.fields:
                    control, where = form[name], form.cell_name(form.fields[name].label)
                else:
                    control = form[self.first_field]
                    where = self.row_label % {"row": form.row}
                summary += [(control.auto_id, f"{where} – {error}") for error in errors]
        return summary

    def kept_forms(self) -> list[forms.Form]:
        return [
            form
            for i, form in enumerate(self.forms)
            if (i < self.initial_form_count() or form.has_changed())
            and not form.cleaned_data.get("remove")
        ]

    @property
    def has_line_errors(self) -> bool:
        return any(self.errors)

    def clean(self):
        if any(self.errors):
            return
        if not self.kept_forms():
            raise ValidationError(self.empty_message)

    def take_service_errors(self, error: ValidationError) -> ValidationError | None:
        """Put the service's errors about a line (``lines.<n>.<field>``, ``n`` counting the kept
        lines from 1) at that row's field; what is left is returned for the form, or None."""
        if not hasattr(error, "error_dict"):
            return error
        kept, rest = self.kept_forms(), {}
        for key, errors in error.error_dict.items():
            rows, _dot, place = key.partition(".")
            number, _dot, field = place.partition(".")
            if rows == self.service_key and number.isdigit() and 0 < int(number) <= len(kept):
                row = kept[int(number) - 1]
                for message in ValidationError(errors).messages:
                    row.add_error(field if field in row.fields else None, message)
            else:
                rest[key] = errors
        return ValidationError(rest) if rest else None

    def lines(self) -> list[dict]:
        return [
            {k: v for k, v in form.cleaned_data.items() if k != "remove"}
            for form in self.kept_forms()
        ]


QuoteLineFormSet = forms.formset_factory(
    QuoteLineForm, formset=BaseRowFormSet, extra=2, max_num=200, validate_max=True
)


class RevisionForm(ServiceErrorsMixin, forms.Form):
    # <input type=date> takes ISO dates only, whatever the page's language.
    start_date = forms.DateField(
        label=_("planned start"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    completion_date = forms.DateField(
        label=_("earliest completion"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    promised_date = forms.DateField(
        label=_("completion promised by"),
        required=False,
        help_text=_(
            "Binding for the cooperative once the homeowner accepts: the planner aims for it and "
            "the board marks the order late after it. Leave empty to promise no date."
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(
        label=_("note to the homeowner"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def date_values(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("start_date", "completion_date", "promised_date")
        }


# --- the office's supplement to a running order ---------------------------------------------------


class SupplementTaskForm(forms.Form):
    """One piece of extra work: what, which trade, how long with how many, material, and where
    it goes in the order of work."""

    name = forms.CharField(label=_("work"), max_length=150)
    trade = forms.ChoiceField(label=_("trade"))
    certification = forms.ChoiceField(label=_("certification required"), required=False)
    duration_hours = GermanDecimalField(
        label=_("hours"),
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.25"),
        max_value=Decimal(500),
        localize=True,
    )
    crew_size = forms.IntegerField(label=_("people"), min_value=1, max_value=10, initial=1)
    material_cost = GermanDecimalField(
        label=_("material (net, €)"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        localize=True,
    )
    after = forms.TypedChoiceField(label=_("follows"), coerce=int, required=False, empty_value=None)
    before = forms.TypedChoiceField(
        label=_("done before"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, trades=(), certifications=(), tasks=(), row: int | str = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.row = row
        self.fields["trade"].choices = [("", "—"), *trades]
        self.fields["certification"].choices = [("", _("none")), *certifications]
        self.fields["after"].choices = [("", "—"), *tasks]
        self.fields["before"].choices = [("", "—"), *tasks]
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = self.cell_name(field.label)

    def cell_name(self, column) -> str:
        return _("Work %(row)s: %(column)s") % {"row": self.row, "column": column}

    @property
    def cells(self) -> list[tuple]:
        return [
            (self[name], field.widget.attrs["aria-label"]) for name, field in self.fields.items()
        ]

    def has_changed(self):
        # The preset crew of one alone does not make a row.
        return any(name != "crew_size" for name in self.changed_data)


class BaseSupplementTaskFormSet(BaseRowFormSet):
    service_key = "tasks"
    first_field = "name"
    empty_message = _("A supplement needs at least one piece of work.")
    row_label = _("Work %(row)s")

    def tasks(self) -> list[dict]:
        return [form.cleaned_data for form in self.kept_forms()]


SupplementTaskFormSet = forms.formset_factory(
    SupplementTaskForm, formset=BaseSupplementTaskFormSet, extra=3, max_num=20, validate_max=True
)


class SupplementForm(ServiceErrorsMixin, forms.Form):
    # The service's own words when it is missing: the page shows one message per rule.
    reason = forms.CharField(
        label=_("reason for the homeowner"),
        max_length=2000,
        error_messages={"required": _("Tell the homeowner why the work is needed.")},
        help_text=_(
            "What was found and why the work is needed: the homeowner decides on this text."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
