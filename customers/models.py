"""Customers (homeowners, businesses, public bodies), their sites, and the postcode table."""

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from trades.models import Address, State
from trades.validators import validate_vat_id


class PostalCode(models.Model):
    """A row of the GeoNames postal-code export: what offline geocoding uses."""

    country = models.CharField(_("country"), max_length=2, default="DE")
    code = models.CharField(_("postal code"), max_length=10)
    place = models.CharField(_("place"), max_length=180)
    state = models.CharField(_("federal state"), max_length=2, blank=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    location = models.PointField(_("location"), geography=True, srid=4326)
    accuracy = models.PositiveSmallIntegerField(_("accuracy"), null=True, blank=True)

    class Meta:
        verbose_name = _("postal code")
        verbose_name_plural = _("postal codes")
        ordering = ["country", "code", "place"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "code", "place"], name="unique_postcode_place"
            )
        ]
        indexes = [models.Index(fields=["country", "code"])]

    def __str__(self) -> str:
        return f"{self.code} {self.place}"


class Customer(models.Model):
    class Kind(models.TextChoices):
        PRIVATE = "private", _("private person")
        BUSINESS = "business", _("business")
        PUBLIC = "public", _("public-sector body")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PRIVATE)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer",
        verbose_name=_("login"),
    )
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company = models.CharField(_("company or authority"), max_length=200, blank=True)
    # Optional: the office takes a Notdienst caller on the phone who may have none; her
    # invoice then goes by post. A customer with a login always has one (see clean()).
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    street = models.CharField(_("street and number"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=10)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, default="DE")
    vat_id = models.CharField(_("VAT id"), max_length=20, blank=True, validators=[validate_vat_id])
    construction_business = models.BooleanField(
        _("construction business (§13b UStG)"),
        default=False,
        help_text=_("Construction services to it are invoiced with reverse charge."),
    )
    buyer_reference = models.CharField(_("buyer reference (Leitweg-ID)"), max_length=60, blank=True)
    # The language the homeowner last asked or decided in: mails the office or the planner
    # sends them later are written in it (and link to the pages in it).
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="de"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["last_name", "company", "id"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        person = f"{self.first_name} {self.last_name}".strip()
        return (
            self.company
            or person
            or self.email
            or self.phone
            or _("Customer #%(number)s") % {"number": self.pk}
        )

    def clean(self):
        super().clean()
        errors = {}
        if self.country == "DE" and not (len(self.postal_code) == 5 and self.postal_code.isdigit()):
            errors["postal_code"] = _("A German postal code has five digits.")
        if self.kind == self.Kind.PRIVATE and not self.last_name:
            errors["last_name"] = _("A private customer needs a last name.")
        if self.kind != self.Kind.PRIVATE and not self.company:
            errors["company"] = _("A business or public body needs its name.")
        if self.kind == self.Kind.PUBLIC and not self.buyer_reference:
            errors["buyer_reference"] = _("Public-sector invoices need the Leitweg-ID.")
        if self.construction_business and not self.vat_id:
            errors["vat_id"] = _("Reverse charge needs the customer's VAT id.")
        if self.user_id and not self.email:
            # Her login codes, quotes and order confirmations go there.
            errors["email"] = _("A customer who logs in needs an e-mail address.")
        if errors:
            raise ValidationError(errors)


class Site(Address):
    """The place where work happens (Objekt, Baustelle)."""

    class Source(models.TextChoices):
        POSTCODE = "postcode", _("postal code centre")
        GEOCODER = "geocoder", _("address geocoder")
        MANUAL = "manual", _("pin moved by hand")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="sites", verbose_name=_("customer")
    )
    label = models.CharField(_("label"), max_length=100, blank=True)
    location = models.PointField(_("location"), geography=True, srid=4326)
    location_source = models.CharField(
        _("location from"), max_length=10, choices=Source.choices, default=Source.POSTCODE
    )
    access_notes = models.TextField(_("access notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["customer", "id"]

    def __str__(self) -> str:
        return self.label or f"{self.street}, {self.postal_code} {self.city}"


__all__ = ["Customer", "PostalCode", "Site", "State"]
