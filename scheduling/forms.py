"""Forms of the office's planning pages. They parse and check the input; the services decide and
write, and a service's ``ValidationError`` is put back at the field it names."""

from django import forms
from django.utils.translation import gettext_lazy as _

from trades.models import Certification, Trade
from zunft.core.forms import ServiceErrorsMixin

#: What the office takes down from an emergency caller it does not know yet.
CALLER_FIELDS = ("first_name", "last_name", "phone", "email", "street", "postal_code", "city")
#: What such a caller must tell: not every caller has an e-mail address (her invoice then goes
#: by post), but the worker and the office must be able to ring her back.
CALLER_REQUIRED = tuple(name for name in CALLER_FIELDS if name != "email")


class EmergencyForm(ServiceErrorsMixin, forms.Form):
    """A Notdienst taken on the phone: a known site, or the caller's name and address; the
    trade needed, how long it will take, what is wrong."""

    site = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # One per form shown: a second click on "send" finds the job the first one made.
    token = forms.UUIDField(widget=forms.HiddenInput)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("E-mail (for the invoice)"),
        required=False,
        help_text=_("Leave it empty if the caller has none: the invoice then goes by post."),
    )
    street = forms.CharField(label=_("Street and number"), max_length=200, required=False)
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=5,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    trade = forms.ChoiceField(label=_("Trade"))
    certification = forms.ChoiceField(label=_("Certification needed"), required=False)
    hours = forms.IntegerField(label=_("Hours on site"), min_value=1, max_value=10, initial=2)
    description = forms.CharField(
        label=_("What is wrong"),
        max_length=150,
        required=False,
        help_text=_("The worker reads it on the phone, e.g. “Heizung aus, Druck 0 bar”."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trade"].choices = [("", "—")] + [
            (t.code, t.name) for t in Trade.objects.order_by("name_de")
        ]
        self.fields["certification"].choices = [("", _("no certification"))] + [
            (c.code, c.name) for c in Certification.objects.order_by("name_de")
        ]

    def clean_postal_code(self):
        # Said at once, beside the other fields' errors (whether it is known is looked up later).
        value = self.cleaned_data["postal_code"].strip()
        if value and not (len(value) == 5 and value.isdigit()):
            raise forms.ValidationError(_("A German postal code has five digits."))
        return value

    def clean(self):
        data = super().clean()
        if data.get("site") is None:
            for name in CALLER_REQUIRED:
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Needed for a caller who is not a customer yet."))
        return data
