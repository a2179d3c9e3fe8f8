"""The cooperative, its member workshops, trades, workers and their capacity."""

from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from trades.validators import (
    validate_bic,
    validate_iban,
    validate_postal_code,
    validate_tax_number,
    validate_vat_id,
)


class State(models.TextChoices):
    """German federal states (Bundesländer) by ISO 3166-2 subdivision code, as `holidays` uses."""

    BW = "BW", "Baden-Württemberg"
    BY = "BY", "Bayern"
    BE = "BE", "Berlin"
    BB = "BB", "Brandenburg"
    HB = "HB", "Bremen"
    HH = "HH", "Hamburg"
    HE = "HE", "Hessen"
    MV = "MV", "Mecklenburg-Vorpommern"
    NI = "NI", "Niedersachsen"
    NW = "NW", "Nordrhein-Westfalen"
    RP = "RP", "Rheinland-Pfalz"
    SL = "SL", "Saarland"
    SN = "SN", "Sachsen"
    ST = "ST", "Sachsen-Anhalt"
    SH = "SH", "Schleswig-Holstein"
    TH = "TH", "Thüringen"


class Bilingual:
    """Models with ``name_de`` and ``name_en``: ``name`` follows the active language."""

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "de").startswith("en") else self.name_de

    def __str__(self) -> str:
        return self.name


class Address(models.Model):
    street = models.CharField(_("street and number"), max_length=200)
    postal_code = models.CharField(
        _("postal code"), max_length=5, validators=[validate_postal_code]
    )
    city = models.CharField(_("city"), max_length=100)
    state = models.CharField(_("federal state"), max_length=2, choices=State.choices)

    class Meta:
        abstract = True


def money(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


class Cooperative(Address):
    """The cooperative (Verbund) this deployment serves; it invoices packages for its members."""

    name = models.CharField(_("name"), max_length=200)
    legal_name = models.CharField(_("legal name"), max_length=200)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    vat_id = models.CharField(_("VAT id"), max_length=20, validators=[validate_vat_id])
    tax_number = models.CharField(
        _("tax number"), max_length=20, blank=True, validators=[validate_tax_number]
    )
    register_entry = models.CharField(_("register entry"), max_length=100, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, validators=[validate_bic])
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    fee_rate = models.DecimalField(
        _("fee rate"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.5"))],
        help_text=_("Share of package revenue the cooperative keeps, e.g. 0.0800 for 8 %."),
    )

    class Meta:
        verbose_name = _("cooperative")
        verbose_name_plural = _("cooperatives")

    def __str__(self) -> str:
        return self.name

    @property
    def identity(self) -> str:
        """Name, postal address and e-mail: how a withdrawal notice names the trader."""
        name = self.legal_name or self.name
        return f"{name}, {self.street}, {self.postal_code} {self.city}, {self.email}"


class Certification(Bilingual, models.Model):
    """A qualification some tasks require, e.g. gas installation (TRGI) or grid connection."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_de = models.CharField(_("name (German)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["code"]


class Trade(Bilingual, models.Model):
    """A craft (Gewerk)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_de = models.CharField(_("name (German)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)
    licensed = models.BooleanField(
        _("licensed trade (Anlage A HwO)"),
        default=False,
        help_text=_("Only a Meister business entered in the Handwerksrolle may practise it."),
    )
    certifications = models.ManyToManyField(
        Certification,
        verbose_name=_("certifications tasks may require"),
        blank=True,
        related_name="trades",
    )

    class Meta:
        verbose_name = _("trade")
        verbose_name_plural = _("trades")
        ordering = ["code"]


def default_daily_hours() -> list:
    return [Decimal(h) for h in (8, 8, 8, 8, 6, 0, 0)]


class Workshop(Address):
    """A member business: its own legal entity, VAT id, bank account and prices."""

    name = models.CharField(_("short name"), max_length=100)
    legal_name = models.CharField(_("legal name"), max_length=200)
    owner_name = models.CharField(_("owner / Meister"), max_length=150)
    craft_register_number = models.CharField(
        _("Handwerksrolle registration"), max_length=60, blank=True
    )
    chamber = models.CharField(_("chamber of crafts"), max_length=100, blank=True)
    master_business = models.BooleanField(
        _("Meister business (Meisterbetrieb)"),
        default=False,
        help_text=_("The business is led by a Meister; shown in the public member directory."),
    )
    vat_id = models.CharField(_("VAT id"), max_length=20, blank=True, validators=[validate_vat_id])
    tax_number = models.CharField(
        _("tax number"), max_length=20, blank=True, validators=[validate_tax_number]
    )
    small_business = models.BooleanField(
        _("small business (§19 UStG)"), default=False, help_text=_("Invoices without VAT.")
    )
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, blank=True, validators=[validate_bic])
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    location = models.PointField(_("location"), geography=True, srid=4326)
    service_radius_km = models.PositiveIntegerField(
        _("service radius (km)"), default=40, validators=[MaxValueValidator(500)]
    )
    service_area = models.MultiPolygonField(
        _("service area"),
        geography=True,
        srid=4326,
        null=True,
        blank=True,
        help_text=_(
            "Optional; when set, the workshop serves sites inside it instead of the radius."
        ),
    )
    daily_hours = ArrayField(
        models.DecimalField(max_digits=4, decimal_places=2),
        size=7,
        default=default_daily_hours,
        verbose_name=_("working hours Monday to Sunday"),
    )
    active = models.BooleanField(_("active member"), default=True)
    joined_on = models.DateField(_("member since"), null=True, blank=True)
    trades = models.ManyToManyField(
        Trade, through="WorkshopTrade", related_name="workshops", verbose_name=_("trades")
    )
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="administered_workshops",
        verbose_name=_("administrators"),
    )

    class Meta:
        verbose_name = _("member workshop")
        verbose_name_plural = _("member workshops")
        ordering = ["name"]
        indexes = [models.Index(fields=["active"])]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        if not (self.vat_id or self.tax_number):
            raise ValidationError({"vat_id": _("Give a VAT id or a tax number.")})
        if self.daily_hours and any(not 0 <= Decimal(h) <= 24 for h in self.daily_hours):
            raise ValidationError({"daily_hours": _("Daily hours lie between 0 and 24.")})


class WorkshopTrade(models.Model):
    """A trade a workshop offers, at its own hourly rate, with a number of crews."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="offers", verbose_name=_("workshop")
    )
    trade = models.ForeignKey(
        Trade, on_delete=models.PROTECT, related_name="offers", verbose_name=_("trade")
    )
    hourly_rate = money(_("hourly rate (net)"), validators=[MinValueValidator(Decimal("0"))])
    crews = models.PositiveSmallIntegerField(
        _("crews"), default=1, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    certifications = models.ManyToManyField(
        Certification, blank=True, verbose_name=_("certifications held by the business")
    )

    class Meta:
        verbose_name = _("offered trade")
        verbose_name_plural = _("offered trades")
        constraints = [
            models.UniqueConstraint(fields=["workshop", "trade"], name="unique_workshop_trade"),
            models.CheckConstraint(
                condition=models.Q(hourly_rate__gte=0), name="rate_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workshop} · {self.trade}"


class Worker(models.Model):
    """A person who does the work (Monteur, Geselle, Meister)."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="workers", verbose_name=_("workshop")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="worker",
        verbose_name=_("login"),
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_master = models.BooleanField(_("Meister"), default=False)
    trades = models.ManyToManyField(Trade, related_name="workers", verbose_name=_("trades"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class WorkerCertification(models.Model):
    worker = models.ForeignKey(
        Worker, on_delete=models.CASCADE, related_name="certifications", verbose_name=_("worker")
    )
    certification = models.ForeignKey(
        Certification, on_delete=models.PROTECT, verbose_name=_("certification")
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    reference = models.CharField(_("certificate number"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("worker certification")
        verbose_name_plural = _("worker certifications")
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "certification"], name="unique_worker_certification"
            )
        ]

    def __str__(self) -> str:
        return f"{self.worker}: {self.certification}"


class Absence(models.Model):
    """A worker away (holiday, illness, training) or the whole workshop closed (Betriebsferien)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("holiday")
        ILLNESS = "illness", _("illness")
        TRAINING = "training", _("training")
        CLOSURE = "closure", _("company holiday")

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="absences", verbose_name=_("workshop")
    )
    worker = models.ForeignKey(
        Worker,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="absences",
        verbose_name=_("worker"),
        help_text=_("Empty: the whole workshop is closed."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="absence_end_after_start"
            )
        ]
        indexes = [models.Index(fields=["workshop", "start", "end"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start}–{self.end}"

    def clean(self):
        super().clean()
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("The last day lies before the first day.")})
        if self.worker_id and self.workshop_id and self.worker.workshop_id != self.workshop_id:
            raise ValidationError({"worker": _("The worker belongs to another workshop.")})
        overlapping = self.overlapping()
        if overlapping is not None:
            dates = {
                "start": date_format(overlapping.start, "SHORT_DATE_FORMAT"),
                "end": date_format(overlapping.end, "SHORT_DATE_FORMAT"),
                "kind": overlapping.get_kind_display(),
            }
            if self.worker_id:
                message = _(
                    "%(worker)s is already away from %(start)s to %(end)s (%(kind)s). "
                    "Take that absence back first, or record only the days it leaves free."
                ) % {"worker": self.worker, **dates}
            else:
                message = _(
                    "%(workshop)s is already closed from %(start)s to %(end)s (%(kind)s). "
                    "Take that closure back first, or record only the days it leaves free."
                ) % {"workshop": self.workshop, **dates}
            raise ValidationError({"start": message})

    def overlapping(self) -> "Absence | None":
        """The first other absence sharing a day with this one that may not share one: the same
        worker's, or, for a closure of the whole workshop (no worker), another closure of the
        same workshop. A worker's holiday or illness may well fall into a closure."""
        if not (self.start and self.end) or self.end < self.start:
            return None
        if self.worker_id:
            same = models.Q(worker_id=self.worker_id)
        elif self.workshop_id:
            same = models.Q(workshop_id=self.workshop_id, worker__isnull=True)
        else:
            return None
        return (
            Absence.objects.filter(same, start__lte=self.end, end__gte=self.start)
            .exclude(pk=self.pk)
            .order_by("start")
            .first()
        )
