"""The package catalogue (Paketvorlagen): tasks per trade, durations from parameters, precedence."""

from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from trades.models import Bilingual, Certification, Trade


class PackageTemplate(Bilingual, models.Model):
    """A "Rund-um-sorglos" package of the catalogue, e.g. "Bad komplett"."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_de = models.CharField(_("name (German)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)
    description_de = models.TextField(_("description (German)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("package template")
        verbose_name_plural = _("package templates")
        ordering = ["name_de"]

    def __str__(self) -> str:
        return self.name


class TemplateParameter(Bilingual, models.Model):
    """What the homeowner tells us to size the job: floor area, number of sockets, …"""

    class Kind(models.TextChoices):
        INTEGER = "integer", _("whole number")
        DECIMAL = "decimal", _("number")

    template = models.ForeignKey(
        PackageTemplate, on_delete=models.CASCADE, related_name="parameters"
    )
    code = models.SlugField(_("code"), max_length=40)
    name_de = models.CharField(_("name (German)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DECIMAL)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    minimum = models.DecimalField(_("minimum"), max_digits=10, decimal_places=2, default=0)
    maximum = models.DecimalField(_("maximum"), max_digits=10, decimal_places=2)
    default = models.DecimalField(_("default"), max_digits=10, decimal_places=2)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("template parameter")
        verbose_name_plural = _("template parameters")
        ordering = ["template", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="unique_template_parameter")
        ]

    def __str__(self) -> str:
        return self.name


class TemplateTask(Bilingual, models.Model):
    """One trade's part of a package. Duration (working hours) and material are linear in the
    parameters: ``base + Σ per_unit[p] × value(p)`` — simple to explain to a homeowner and to
    check, and what craft businesses' own calculation sheets do."""

    template = models.ForeignKey(PackageTemplate, on_delete=models.CASCADE, related_name="tasks")
    code = models.SlugField(_("code"), max_length=40)
    name_de = models.CharField(_("name (German)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)
    trade = models.ForeignKey(Trade, on_delete=models.PROTECT, verbose_name=_("trade"))
    required_certification = models.ForeignKey(
        Certification,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("required certification"),
    )
    crew_size = models.PositiveSmallIntegerField(_("crew size"), default=1)
    duration_base_hours = models.DecimalField(
        _("base duration (h)"), max_digits=7, decimal_places=2, default=Decimal(0)
    )
    duration_per_unit = models.JSONField(
        _("hours per parameter unit"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    material_base = models.DecimalField(
        _("base material (€)"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    material_per_unit = models.JSONField(
        _("material € per parameter unit"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("template task")
        verbose_name_plural = _("template tasks")
        ordering = ["template", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="unique_template_task")
        ]

    def __str__(self) -> str:
        return self.name

    def duration_hours(self, values: dict[str, Decimal]) -> Decimal:
        return self.duration_base_hours + sum(
            (Decimal(str(rate)) * values[code] for code, rate in self.duration_per_unit.items()),
            Decimal(0),
        )

    def material_cost(self, values: dict[str, Decimal]) -> Decimal:
        return self.material_base + sum(
            (Decimal(str(rate)) * values[code] for code, rate in self.material_per_unit.items()),
            Decimal(0),
        )


class TemplateDependency(models.Model):
    """The successor may start only ``lag_hours`` calendar hours after the predecessor ends
    (screed dries 72 h before tiles go on; drying runs on weekends too)."""

    template = models.ForeignKey(
        PackageTemplate, on_delete=models.CASCADE, related_name="dependencies"
    )
    predecessor = models.ForeignKey(TemplateTask, on_delete=models.CASCADE, related_name="+")
    successor = models.ForeignKey(TemplateTask, on_delete=models.CASCADE, related_name="+")
    lag_hours = models.PositiveIntegerField(_("waiting time (calendar hours)"), default=0)

    class Meta:
        verbose_name = _("task dependency")
        verbose_name_plural = _("task dependencies")
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="unique_template_dependency"
            ),
            models.CheckConstraint(
                condition=~models.Q(predecessor=models.F("successor")), name="no_self_dependency"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor.code} → {self.successor.code} (+{self.lag_hours} h)"
