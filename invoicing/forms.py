"""Forms of the office's invoicing pages. They parse and check the input; the services in
:mod:`invoicing.services` and :mod:`invoicing.payments` decide and write. A service's
``ValidationError`` is put back on the field it names
(:meth:`zunft.core.forms.ServiceErrorsMixin.add_service_errors`)."""

import re
from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoicing.models import Invoice
from invoicing.settlement import FIRST_YEAR
from zunft.core.forms import ServiceErrorsMixin
from zunft.core.language import format_day
from zunft.core.money import format_money, parse_amount

MONTH_FORMATS = (
    re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})$"),  # 2026-03, what <input type=month> sends
    re.compile(r"^(?P<month>\d{1,2})[./](?P<year>\d{4})$"),  # 03/2026, 3.2026
)


def month_parts(value: str) -> tuple[int, int] | None:
    """``2026-03``, ``03/2026`` or ``3.2026`` → (2026, 3), whether or not such a month can be;
    None when it is written none of these ways."""
    for pattern in MONTH_FORMATS:
        match = pattern.match(value.strip())
        if match:
            return int(match["year"]), int(match["month"])
    return None


class MonthField(forms.CharField):
    """A calendar month, shown as ``<input type="month">`` and cleaned to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": _("MM/YYYY")})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        parts = month_parts(value)
        if parts is None:
            raise ValidationError(
                _("Give the month as MM/YYYY or YYYY-MM, e.g. 03/2026."), code="invalid_month"
            )
        year, month = parts
        # Written right, but no month the books can have: say which part is wrong.
        if not 1 <= month <= 12:
            raise ValidationError(
                _("There is no month %(month)s: give 01 to 12.") % {"month": f"{month:02d}"},
                code="no_such_month",
            )
        if year < FIRST_YEAR:
            raise ValidationError(
                _("Months before January %(year)s are not settled: please check the year.")
                % {"year": FIRST_YEAR},
                code="month_too_early",
            )
        return date(year, month, 1)

    def prepare_value(self, value):
        return f"{value:%Y-%m}" if isinstance(value, date) else value


class InvoiceFilterForm(forms.Form):
    """The list's filters, read from the query string."""

    # The invoice states, with "overdue" (issued, unpaid, past due) after "issued", and the
    # invoices whose dunning charges are still open (mostly paid ones) and those with a credit
    # owed back to the customer (over-paid, or paid and cancelled since) at the end.
    STATES = (
        *Invoice.State.choices[:2],
        ("overdue", _("overdue")),
        *Invoice.State.choices[2:],
        ("charges", _("dunning charges open")),
        ("refund", _("to refund")),
    )

    status = forms.ChoiceField(
        label=_("State"), required=False, choices=(("", _("all states")), *STATES)
    )
    aussteller = forms.ChoiceField(label=_("Issuer"), required=False)
    suche = forms.CharField(
        label=_("Customer or number"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, customer or invoice number")}
        ),
    )
    monat = MonthField(label=_("Month of issue"), required=False)

    def __init__(self, *args, issuers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["aussteller"].choices = [("", _("all issuers")), *issuers]


class IssueForm(ServiceErrorsMixin, forms.Form):
    issue_date = forms.DateField(
        label=_("Invoice date"),
        required=False,
        help_text=_("Empty: today."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class PackageInvoiceForm(ServiceErrorsMixin, forms.Form):
    """Drafting a package's invoice asks nothing: the form carries the service's reasons."""


class CancelForm(ServiceErrorsMixin, forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, cancel this invoice with a cancellation document."),
        error_messages={"required": _("Tick the box to confirm the cancellation.")},
    )
    issue_date = forms.DateField(
        label=_("Date of the cancellation"),
        required=False,
        help_text=_("Empty: today."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def confirm_if_over(form, field: str, amount: Decimal, owed: Decimal, message, **values) -> None:
    """More than is open is booked only when confirmed (a typo such as 500 for 50,00 would
    stand as a credit to pay back): sets ``form.over`` so the confirmation box is shown, and
    puts ``message`` (with ``over``, ``open`` and ``values``) on ``field`` until it is ticked."""
    if amount <= owed:
        return
    form.over = True
    if not form.cleaned_data.get("confirm_overpayment"):
        form.add_error(
            field,
            message % {"over": format_money(amount - owed), "open": format_money(owed), **values},
        )


class AmountField(forms.CharField):
    """Euros as people type them (1.234,56), cleaned to a positive amount in whole cents."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Amount (€)"))
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        )
        super().__init__(max_length=20, **kwargs)

    def clean(self, value) -> Decimal:
        try:
            amount = parse_amount(super().clean(value))
        except ValueError:
            raise ValidationError(_("Enter an amount such as 1.234,56."), code="invalid") from None
        if amount <= 0:
            raise ValidationError(_("The amount must be more than 0 €."), code="min_value")
        if amount != amount.quantize(Decimal("0.01")):
            raise ValidationError(_("Amounts are whole cents."), code="cents")
        return amount


class AmountOnDayForm(ServiceErrorsMixin, forms.Form):
    """An amount of money that moved on a day: a payment received, a credit refunded."""

    amount = AmountField()
    booked_on = forms.DateField(
        label=_("Booked on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reference = forms.CharField(
        label=_("Reference"), required=False, max_length=300, help_text=_("e.g. the bank's text")
    )

    def clean_booked_on(self) -> date:
        booked_on = self.cleaned_data["booked_on"]
        if booked_on > timezone.localdate():
            raise ValidationError(_("The booking date lies in the future."), code="future")
        return booked_on


class PaymentForm(AmountOnDayForm):
    confirm_overpayment = forms.BooleanField(
        label=_("Yes, record it: more than is open, the rest stands as a credit."), required=False
    )

    def __init__(self, *args, open_amount: Decimal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.open_amount = open_amount
        self.over = False  # the confirmation is asked for (and shown) only when it is needed

    def clean(self):
        data = super().clean()
        amount = data.get("amount")
        if amount is not None and self.open_amount is not None:
            message = _("That is %(over)s more than is open (%(open)s): confirm it below.")
            confirm_if_over(self, "amount", amount, self.open_amount, message)
        return data


class RefundForm(AmountOnDayForm):
    """A customer's credit paid back by transfer."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = _("Amount refunded (€)")
        self.fields["booked_on"].label = _("Transferred on")
        self.fields["reference"].help_text = ""


class RefundTransferForm(ServiceErrorsMixin, forms.Form):
    """A transfer of a customer's credit back to her, for the bank (a SEPA file)."""

    name = forms.CharField(label=_("Account holder"), max_length=70)
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=42,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    amount = AmountField()
    execution_date = forms.DateField(
        label=_("Execute on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class TransferBookedForm(ServiceErrorsMixin, forms.Form):
    """The bank carried a prepared refund transfer out on this day."""

    booked_on = forms.DateField(
        label=_("Carried out on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_booked_on(self) -> date:
        booked_on = self.cleaned_data["booked_on"]
        if booked_on > timezone.localdate():
            raise ValidationError(_("The booking date lies in the future."), code="future")
        return booked_on


class TransferReturnedForm(TransferBookedForm):
    """The bank returned a refund transfer on this day (booked back on the invoice)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["booked_on"].label = _("Came back on")


class MonthEndForm(ServiceErrorsMixin, forms.Form):
    period = MonthField(label=_("Month"))


class ExportForm(ServiceErrorsMixin, forms.Form):
    """The period of the books to export from the month-end page, and which file."""

    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    format = forms.ChoiceField(choices=(("csv", "CSV"), ("datev", "DATEV")), initial="csv")


class PayoutForm(ServiceErrorsMixin, forms.Form):
    """The month's payouts were transferred (the bank executed the SEPA file) on this day."""

    booked_on = forms.DateField(
        label=_("Transferred on"),
        # a date field takes only ISO dates: a German "23.11.2026" left it empty
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class StatementForm(ServiceErrorsMixin, forms.Form):
    file = forms.FileField(
        label=_("Bank statement (CAMT.053, XML)"),
        widget=forms.FileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )

    def __init__(self, *args, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise ValidationError(_("The file is larger than 10 MB."), code="too_large")
        return upload


class AssignForm(ServiceErrorsMixin, forms.Form):
    """Book an unmatched credit onto an invoice, named by its number."""

    invoice = forms.CharField(
        label=_("Invoice number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "open-invoices"}),
    )

    confirm_overpayment = forms.BooleanField(
        label=_("Yes, book it: more than is open, the rest stands as a credit."), required=False
    )

    def __init__(self, *args, amount: Decimal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.amount = amount  # the credit's
        self.over = False  # the confirmation is asked for (and shown) only when it is needed

    def clean(self):
        from invoicing.payments import balance

        data = super().clean()
        invoice = data.get("invoice")
        if invoice is None or self.amount is None:
            return data
        message = _("That is %(over)s more than is open on %(number)s (%(open)s): confirm it.")
        confirm_if_over(
            self, "invoice", self.amount, balance(invoice).total, message, number=invoice.number
        )
        return data

    def clean_invoice(self) -> Invoice:
        number = self.cleaned_data["invoice"].strip().upper()
        found = list(Invoice.objects.filter(number=number)[:2])
        if not found:
            raise ValidationError(_("There is no invoice with this number."), code="unknown")
        if len(found) > 1:
            raise ValidationError(_("This number is not unique."), code="ambiguous")
        return found[0]


class DealtWithForm(ServiceErrorsMixin, forms.Form):
    """Mark an unmatched credit as dealt with otherwise, saying how."""

    note = forms.CharField(
        label=_("How was it dealt with?"),
        max_length=300,
        help_text=_("E.g. sent back to the payer on 3 March, or a membership fee."),
        error_messages={"required": _("Say how the credit was dealt with.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class BaseRateForm(ServiceErrorsMixin, forms.Form):
    valid_from = forms.TypedChoiceField(label=_("Valid from"), coerce=date.fromisoformat)
    rate = forms.CharField(
        label=_("Base rate (%)"),
        max_length=10,
        help_text=_("As the Deutsche Bundesbank publishes it, e.g. 1.27 or -0.88."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    replace = forms.BooleanField(
        label=_("Yes, replace the rate entered for this half-year."), required=False
    )

    def __init__(self, *args, days: list[date], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].choices = [(d.isoformat(), format_day(d)) for d in days]
        # the tick is asked for (and shown) once the half-year turns out to have a rate
        self.asks_replace = False

    def clean_rate(self) -> Decimal:
        try:
            return parse_amount(self.cleaned_data["rate"])
        except ValueError:
            raise ValidationError(_("Enter a rate such as 1.27."), code="invalid") from None
