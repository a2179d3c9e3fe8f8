"""The package catalogue (Paketvorlagen): tasks per trade, durations from parameters, precedence."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from trades.models import Bilingual, Certification, Trade
from zunft.core.units import Unit, unit_label


class PackageTemplate(Bilingual, models.Model):
    """A "Rund-um-sorglos" package of the catalogue, e.g. "Bad komplett", or a single-trade job
    ("Elektriker: Steckdosen setzen") that goes through the same quote, plan and invoice."""

    class Kind(models.TextChoices):
        PACKAGE = "package", _("package")
        SINGLE_TRADE = "single", _("single-trade job")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_de = models.CharField(_("name (German)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)
    description_de = models.TextField(_("description (German)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    active = models.BooleanField(_("offered"), default=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.PACKAGE)

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
        DECIMAL = "decimal", _("decimal number")

    template = models.ForeignKey(
        PackageTemplate, on_delete=models.CASCADE, related_name="parameters"
    )
    code = models.SlugField(_("code"), max_length=40)
    name_de = models.CharField(_("name (German)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DECIMAL)
    # A code of the vocabulary (``zunft.core.units``), shown in the reader's language.
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices, blank=True)
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
    predecessor = models.ForeignKey(
        TemplateTask, on_delete=models.CASCADE, related_name="+", verbose_name=_("predecessor")
    )
    successor = models.ForeignKey(
        TemplateTask, on_delete=models.CASCADE, related_name="+", verbose_name=_("successor")
    )
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


class Package(models.Model):
    """One booked multi-trade job at one site (or a single-trade job: one task)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        QUOTED = "quoted", _("quoted")
        ACCEPTED = "accepted", _("accepted")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    PLANNED_STATUSES = (Status.ACCEPTED, Status.IN_PROGRESS)

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="packages",
        verbose_name=_("customer"),
    )
    site = models.ForeignKey(
        "customers.Site", on_delete=models.PROTECT, related_name="packages", verbose_name=_("site")
    )
    template = models.ForeignKey(
        PackageTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="packages",
        verbose_name=_("package template"),
    )
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    parameters = models.JSONField(
        _("parameters"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    earliest_start = models.DateField(_("earliest start"))
    promised_date = models.DateField(_("promised completion"), null=True, blank=True)
    blocked_days = ArrayField(
        models.DateField(), default=list, blank=True, verbose_name=_("days without work on site")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The homeowner's consent to show photos of the finished work in the public member directory
    # (without address or names); withdrawable, so the time is kept with it.
    photos_public = models.BooleanField(_("photos may be published"), default=False)
    photos_public_since = models.DateTimeField(_("photo consent given"), null=True, blank=True)
    # The form that made it (a Notdienst taken on the phone): sent twice, it is made once.
    form_token = models.UUIDField(_("form token"), null=True, blank=True, unique=True)
    # A consumer's withdrawal from the contract (§ 355 BGB) through the portal's withdrawal
    # function (§ 356a BGB): when it was received, and from whose login.
    withdrawn_at = models.DateTimeField(_("withdrawal received"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawal by"),
    )

    class Meta:
        verbose_name = _("package")
        verbose_name_plural = _("packages")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"{self.title} #{self.pk}"

    @property
    def name(self) -> str:
        """The title in the reader's language while it is the template's (stored in German, the
        cooperative's language of record: invoices, the board); a title written by hand stays."""
        if self.template_id and self.title == self.template.name_de:
            return self.template.name
        return self.title


class Task(Bilingual, models.Model):
    """One trade's part of a package (Gewerkeauftrag), copied from the template when booked."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        PLANNED = "planned", _("planned")
        ASSIGNED = "assigned", _("assigned")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="tasks")
    template_task = models.ForeignKey(
        TemplateTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    code = models.SlugField(_("code"), max_length=40)
    name_de = models.CharField(_("name (German)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=150)
    trade = models.ForeignKey(Trade, on_delete=models.PROTECT, verbose_name=_("trade"))
    required_certification = models.ForeignKey(
        Certification, on_delete=models.PROTECT, null=True, blank=True
    )
    crew_size = models.PositiveSmallIntegerField(_("crew size"), default=1)
    duration_hours = models.DecimalField(_("duration (h)"), max_digits=7, decimal_places=2)
    material_cost = models.DecimalField(
        _("material (€)"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # When the workshop and the office were told the work runs past its planned end (once).
    overrun_announced_at = models.DateTimeField(_("overrun announced"), null=True, blank=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["package", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["package", "code"], name="unique_package_task"),
            models.CheckConstraint(
                condition=models.Q(duration_hours__gt=0), name="task_takes_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.package_id}/{self.code}"


class TaskDependency(models.Model):
    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="dependencies")
    predecessor = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    successor = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="+")
    lag_hours = models.PositiveIntegerField(_("waiting time (calendar hours)"), default=0)

    class Meta:
        verbose_name = _("task dependency")
        verbose_name_plural = _("task dependencies")
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="unique_task_dependency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} → {self.successor_id} (+{self.lag_hours} h)"


class Request(models.Model):
    """What the homeowner asked for (Anfrage), as entered in the wizard."""

    class Status(models.TextChoices):
        NEW = "new", _("new")
        QUOTED = "quoted", _("quoted")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="requests",
        verbose_name=_("customer"),
    )
    site = models.ForeignKey(
        "customers.Site", on_delete=models.PROTECT, related_name="requests", verbose_name=_("site")
    )
    template = models.ForeignKey(
        PackageTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("package template"),
    )
    trade = models.ForeignKey(
        Trade, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("trade")
    )
    description = models.TextField(_("description"), blank=True)
    parameters = models.JSONField(_("parameters"), default=dict, encoder=DjangoJSONEncoder)
    earliest_start = models.DateField(_("earliest start"))
    blocked_days = ArrayField(
        models.DateField(), default=list, blank=True, verbose_name=_("days without work on site")
    )
    package = models.OneToOneField(
        Package,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="request",
        verbose_name=_("package"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("request")
        verbose_name_plural = _("requests")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.template or self.trade}"


class PricedTotalsFields(models.Model):
    """The sums of a priced offer (a quote or a supplement), as the page and the PDF state
    them: net, VAT, gross, and the labour share with its §35a EStG estimate."""

    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2)
    vat = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2)
    gross = models.DecimalField(_("gross"), max_digits=12, decimal_places=2)
    labour_gross = models.DecimalField(
        _("labour and travel (gross)"), max_digits=12, decimal_places=2
    )
    tax_reduction = models.DecimalField(
        _("estimated tax reduction (§35a EStG)"), max_digits=12, decimal_places=2
    )

    class Meta:
        abstract = True


class Quote(PricedTotalsFields):
    """A priced offer for a package (Angebot). Versions are immutable once sent; a revision is a
    new version and only the latest open version can be accepted."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACCEPTED = "accepted", _("accepted")
        SUPERSEDED = "superseded", _("superseded")
        EXPIRED = "expired", _("expired")
        DECLINED = "declined", _("declined")

    package = models.ForeignKey(
        Package, on_delete=models.CASCADE, related_name="quotes", verbose_name=_("package")
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    valid_until = models.DateField(_("valid until"))
    start_date = models.DateField(_("planned start"), null=True, blank=True)
    completion_date = models.DateField(_("earliest completion"), null=True, blank=True)
    # The office's binding promise; accepting the quote makes it the package's promised date,
    # which the planner aims for and the board measures lateness against.
    promised_date = models.DateField(_("completion promised by"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    early_start_consent = models.BooleanField(
        _("consent to start within the withdrawal period"), default=False
    )
    # When the homeowner said no (quotes declined before this was kept have none).
    declined_at = models.DateTimeField(_("declined"), null=True, blank=True)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["package", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["package", "version"], name="unique_quote_version"),
            models.UniqueConstraint(
                fields=["package"], condition=models.Q(status="accepted"), name="one_accepted_quote"
            ),
            models.CheckConstraint(
                condition=models.Q(gross=models.F("net") + models.F("vat")),
                name="quote_gross_is_net_plus_vat",
            ),
        ]

    def __str__(self) -> str:
        return f"Angebot {self.package_id}-{self.version}"

    def expired(self, today) -> bool:
        """Undecided past its last valid day: it can no longer be accepted."""
        return self.status != self.Status.ACCEPTED and self.valid_until < today


class PricedLineFields(models.Model):
    """What a priced line of a quote or a supplement says: the same columns, so that the page,
    the PDF and the invoice read both alike."""

    class Kind(models.TextChoices):
        LABOUR = "labour", _("labour")
        TRAVEL = "travel", _("travel")
        MATERIAL = "material", _("material")
        FEE = "fee", _("coordination")

    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    trade = models.CharField(_("trade"), max_length=150, blank=True)
    text = models.CharField(_("text"), max_length=250)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    net = models.DecimalField(_("net"), max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=2)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.text


class QuoteLine(PricedLineFields):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["quote", "position"]


class Supplement(PricedTotalsFields):
    """A supplement to an accepted order (Nachtrag): work found necessary on site, with its
    reason and price, which the homeowner accepts or declines like a quote. Once accepted, its
    tasks join the package and are planned, done and invoiced like the others."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        RETRACTED = "retracted", _("taken back by the office")

    package = models.ForeignKey(
        Package, on_delete=models.CASCADE, related_name="supplements", verbose_name=_("package")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    reason = models.TextField(_("reason"))
    valid_until = models.DateField(_("valid until"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # A consumer orders extra work to begin at once: should a withdrawal right apply to the
    # supplement, the work done until then is paid for (§ 356 Abs. 4, § 357a Abs. 2 BGB).
    early_start_consent = models.BooleanField(_("consent to start at once"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("supplement")
        verbose_name_plural = _("supplements")
        ordering = ["package", "number"]
        constraints = [
            models.UniqueConstraint(fields=["package", "number"], name="unique_supplement_number"),
            models.CheckConstraint(
                condition=models.Q(gross=models.F("net") + models.F("vat")),
                name="supplement_gross_is_net_plus_vat",
            ),
        ]

    def __str__(self) -> str:
        return f"Nachtrag {self.package_id}-N{self.number}"

    def expired(self, today) -> bool:
        return self.status == self.Status.OPEN and self.valid_until < today


class SupplementTask(models.Model):
    """One piece of work a supplement adds: the task it becomes once accepted, and where it goes
    in the package's order of work (after one task, before another)."""

    supplement = models.ForeignKey(Supplement, on_delete=models.CASCADE, related_name="tasks")
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("work"), max_length=150)
    trade = models.ForeignKey(Trade, on_delete=models.PROTECT, verbose_name=_("trade"))
    # Gas or grid work goes only to a business and a worker holding the certification.
    required_certification = models.ForeignKey(
        Certification,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("required certification"),
    )
    crew_size = models.PositiveSmallIntegerField(_("crew size"), default=1)
    duration_hours = models.DecimalField(_("duration (h)"), max_digits=7, decimal_places=2)
    material_cost = models.DecimalField(
        _("material (net, €)"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    after = models.ForeignKey(
        Task,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("follows"),
    )
    before = models.ForeignKey(
        Task,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done before"),
    )
    task = models.OneToOneField(
        Task,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supplement_task",
        verbose_name=_("task"),
    )

    class Meta:
        verbose_name = _("supplement task")
        verbose_name_plural = _("supplement tasks")
        ordering = ["supplement", "position"]

    def __str__(self) -> str:
        return self.name


class SupplementLine(PricedLineFields):
    supplement = models.ForeignKey(Supplement, on_delete=models.CASCADE, related_name="lines")

    class Meta:
        verbose_name = _("supplement line")
        verbose_name_plural = _("supplement lines")
        ordering = ["supplement", "position"]


# --- work on site (Stundenzettel, Aufmaß, Fotos, Abnahme) ---------------------------------------
# Everything a phone records carries the UUID the phone made up for it (``client_id``), so an
# action replayed from an offline outbox is stored once, however often it arrives.


def field_photo_path(instance, filename: str) -> str:
    return f"field/{instance.task.package_id}/photos/{instance.client_id}.jpg"


def field_signature_path(instance, filename: str) -> str:
    return f"field/{instance.task.package_id}/signatures/{instance.client_id}.png"


class ChecklistItem(Bilingual, models.Model):
    """One point to tick off before a task counts as done, copied from the trade's checklist.
    ``evidence`` names what must exist besides the tick: a photo of it, the customer's
    signature."""

    class Evidence(models.TextChoices):
        NONE = "", _("none")
        PHOTO = "photo", _("photo")
        SIGNATURE = "signature", _("signature")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="checklist")
    code = models.SlugField(_("code"), max_length=40)
    name_de = models.CharField(_("name (German)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    evidence = models.CharField(
        _("evidence"), max_length=10, choices=Evidence.choices, default="", blank=True
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["task", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "code"], name="unique_checklist_item")
        ]

    def __str__(self) -> str:
        return self.name


class WorkLog(models.Model):
    """A status change on site: on the way → on site → paused → on site → done."""

    class Status(models.TextChoices):
        TRAVELLING = "travelling", _("on the way")
        ON_SITE = "on_site", _("on site")
        PAUSED = "paused", _("paused")
        DONE = "done", _("done")

    client_id = models.UUIDField(_("client id"), unique=True)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="work_logs")
    worker = models.ForeignKey(
        "trades.Worker", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    at = models.DateTimeField(_("when"))
    overran = models.BooleanField(_("past the planned end"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("work log entry")
        verbose_name_plural = _("work log")
        ordering = ["task", "at", "id"]
        indexes = [models.Index(fields=["task", "at"])]

    def __str__(self) -> str:
        return f"{self.task_id} {self.status} {self.at:%Y-%m-%d %H:%M}"


class TimeEntry(models.Model):
    """Hours worked on a task (Stundenzettel): from–to, or just a number of hours."""

    client_id = models.UUIDField(_("client id"), unique=True)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="time_entries")
    worker = models.ForeignKey(
        "trades.Worker", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"), null=True, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["task", "start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0, hours__lte=24), name="time_entry_hours_in_a_day"
            ),
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gt=models.F("start")),
                name="time_entry_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.hours} h"


class MaterialEntry(models.Model):
    """Material used on a task (Aufmaß): text, quantity, unit and the workshop's unit price."""

    client_id = models.UUIDField(_("client id"), unique=True)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="materials")
    text = models.CharField(_("text"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    unit_price = models.DecimalField(_("unit price (net)"), max_digits=12, decimal_places=2)
    # When the phone noted it (it may arrive much later); empty from phones that did not say.
    noted_at = models.DateTimeField(_("noted"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("material entry")
        verbose_name_plural = _("material entries")
        ordering = ["task", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0, unit_price__gte=0), name="material_is_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {unit_label(self.unit)} {self.text}"


class Photo(models.Model):
    """A photo from site, at most 1600 px and re-encoded, so no EXIF (GPS, device) survives."""

    client_id = models.UUIDField(_("client id"), unique=True)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="photos")
    checklist_item = models.ForeignKey(
        ChecklistItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="photos"
    )
    image = models.ImageField(_("image"), upload_to=field_photo_path)
    width = models.PositiveIntegerField(_("width"), default=0)
    height = models.PositiveIntegerField(_("height"), default=0)
    size = models.PositiveIntegerField(_("bytes"), default=0)
    caption = models.CharField(_("caption"), max_length=200, blank=True)
    # When the phone took it (it may arrive much later); empty from phones that did not say.
    taken_at = models.DateTimeField(_("taken"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["task", "id"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.caption or self.client_id}"


class Signature(models.Model):
    """The customer's signature for a finished task (Abnahme of this part), as drawn on the
    phone; one per task."""

    client_id = models.UUIDField(_("client id"), unique=True)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="signatures")
    image = models.ImageField(_("signature"), upload_to=field_signature_path)
    signer_name = models.CharField(_("signed by"), max_length=150)
    signed_at = models.DateTimeField(_("signed"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["task", "id"]
        constraints = [models.UniqueConstraint(fields=["task"], name="one_signature_per_task")]

    def __str__(self) -> str:
        return f"{self.task_id} {self.signer_name}"


def acceptance_signature_path(instance, filename: str) -> str:
    return f"acceptance/{instance.package_id}/signature.png"


def acceptance_protocol_path(instance, filename: str) -> str:
    return f"acceptance/{instance.package_id}/protokoll.pdf"


class Acceptance(models.Model):
    """The homeowner's Abnahme of the finished package (§640 BGB: starts the warranty, makes the
    final invoice due), or the list of defects that must be put right first. One per attempt;
    the last approved one counts."""

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("approved")
        DEFECTS = "defects", _("defects reported")

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="acceptances")
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    signer_name = models.CharField(_("signed by"), max_length=150)
    signature = models.ImageField(_("signature"), upload_to=acceptance_signature_path, blank=True)
    # The protocol as it was signed: rework done later must not change a signed document.
    protocol = models.FileField(
        _("protocol (PDF as signed)"), upload_to=acceptance_protocol_path, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("date"), auto_now_add=True)

    class Meta:
        verbose_name = _("acceptance (Abnahme)")
        verbose_name_plural = _("acceptances")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Abnahme {self.package_id} ({self.outcome})"


class Defect(models.Model):
    """A defect found at the Abnahme, tied to the task (and so the workshop) responsible; it
    becomes a rework task."""

    acceptance = models.ForeignKey(Acceptance, on_delete=models.CASCADE, related_name="defects")
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="defects")
    description = models.TextField(_("description"))
    rework = models.OneToOneField(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="remedies"
    )

    class Meta:
        verbose_name = _("defect")
        verbose_name_plural = _("defects")
        ordering = ["acceptance", "id"]

    def __str__(self) -> str:
        return self.description[:60]


class Message(models.Model):
    """A message in a package's log: the homeowner's thread with the office, or the office's
    thread with one workshop working on the package. Never edited; read once by the other side."""

    class Thread(models.TextChoices):
        HOMEOWNER = "homeowner", _("homeowner")
        WORKSHOP = "workshop", _("workshop")

    class Sender(models.TextChoices):
        HOMEOWNER = "homeowner", _("homeowner")
        OFFICE = "office", _("office")
        WORKSHOP = "workshop", _("workshop")

    package = models.ForeignKey(Package, on_delete=models.CASCADE, related_name="messages")
    thread = models.CharField(_("thread"), max_length=10, choices=Thread.choices)
    workshop = models.ForeignKey(
        "trades.Workshop",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="package_messages",
    )
    sender = models.CharField(_("from"), max_length=10, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField(_("message"), max_length=4000)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["package", "id"]
        indexes = [models.Index(fields=["package", "thread", "id"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(thread="homeowner", workshop__isnull=True)
                    | models.Q(thread="workshop", workshop__isnull=False)
                ),
                name="message_workshop_only_in_workshop_thread",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.package_id} {self.sender}: {self.body[:40]}"
