"""Validators for German business data, built on maintained libraries (python-stdnum, schwifty)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.de import stnr
from stdnum.eu import vat


def validate_vat_id(value: str) -> None:
    if not vat.is_valid(value):
        raise ValidationError(_("%(value)s is not a valid VAT id."), params={"value": value})


def validate_iban(value: str) -> None:
    try:
        IBAN(value)
    except SchwiftyException as exc:
        raise ValidationError(_("%(value)s is not a valid IBAN."), params={"value": value}) from exc


def validate_bic(value: str) -> None:
    try:
        BIC(value)
    except SchwiftyException as exc:
        raise ValidationError(_("%(value)s is not a valid BIC."), params={"value": value}) from exc


def validate_tax_number(value: str) -> None:
    if not stnr.is_valid(value):
        raise ValidationError(
            _("%(value)s is not a valid German tax number."), params={"value": value}
        )


def validate_postal_code(value: str) -> None:
    if not (len(value) == 5 and value.isdigit()):
        raise ValidationError(_("A German postal code has five digits."))


def normalize_compact(value: str) -> str:
    return "".join(value.split()).upper()
