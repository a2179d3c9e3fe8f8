"""Plans written by the planner: appointments, dispatch proposals and the runs that made them."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jobs.models import Task
from trades.models import Worker, Workshop


class PlanRun(models.Model):
    """One run of the planner, with what it proved: objective, bound, gap."""

    class Kind(models.TextChoices):
        FULL = "full", _("full plan")
        REPLAN = "replan", _("re-plan")
        QUOTE = "quote", _("instant quote")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(_("solver status"), max_length=12)
    tasks = models.PositiveIntegerField(_("tasks"), default=0)
    objective = models.BigIntegerField(_("objective"), default=0)
    bound = models.BigIntegerField(_("proven bound"), default=0)
    gap = models.FloatField(_("gap"), default=0)
    wall_time = models.FloatField(_("seconds"), default=0)
    parts = models.JSONField(_("objective parts"), default=dict)
    messages = models.JSONField(_("messages"), default=list)
    moved = models.PositiveIntegerField(_("appointments moved"), default=0)
    # Orders the run could not plan for a problem of their own, ``{"package": id, "reasons":
    # [code, …], "tasks": [{"id", "name_de", "name_en"}, …]}`` (``solver.problem.REASONS``;
    # ``messages`` say more); the others were planned.
    set_aside = models.JSONField(_("orders set aside"), default=list)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("plan run")
        verbose_name_plural = _("plan runs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status}, gap {self.gap:.1%})"

    def summary(self) -> dict:
        """What the office is told of the run: live (``plan.updated``) and as a re-plan's result."""
        return {
            "plan_run": self.pk,
            "status": self.status,
            "gap": self.gap,
            "moved": self.moved,
            "set_aside": self.set_aside,
        }


class Appointment(models.Model):
    """Who works where, from when to when. A task has at most one live appointment; a re-plan
    updates it (raising ``sequence`` for calendar clients) instead of making a new one."""

    class Status(models.TextChoices):
        TENTATIVE = "tentative", _("tentative")
        ACCEPTED = "accepted", _("accepted")
        CANCELLED = "cancelled", _("cancelled")

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="appointments", verbose_name=_("task")
    )
    workshop = models.ForeignKey(
        Workshop, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("workshop")
    )
    worker = models.ForeignKey(
        Worker,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("worker"),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    segments = models.JSONField(_("working days"), default=list)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.TENTATIVE
    )
    uid = models.UUIDField(_("calendar UID"), default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0)
    travel_km = models.PositiveIntegerField(_("travel (km)"), default=0)
    # Placed by a clerk on the board: re-plans keep it where it is (like an accepted one) until
    # the office releases it again.
    pinned = models.BooleanField(_("pinned by the office"), default=False)
    plan_run = models.ForeignKey(
        PlanRun, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("plan run")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["start", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"],
                condition=~models.Q(status="cancelled"),
                name="one_live_appointment_per_task",
            ),
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="appointment_has_length"
            ),
        ]
        indexes = [models.Index(fields=["workshop", "start"])]

    def __str__(self) -> str:
        return f"{self.task} @ {self.workshop} {self.start:%Y-%m-%d}"


class Handover(models.Model):
    """The job went from ``worker`` to ``to_worker`` (nobody yet: None) at ``at``. The former
    worker's offline phone may still send the hours, material and photos of the visit, from
    before that moment only."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="handovers")
    worker = models.ForeignKey(
        Worker, on_delete=models.CASCADE, related_name="+", verbose_name=_("former worker")
    )
    to_worker = models.ForeignKey(
        Worker,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("new worker"),
    )
    at = models.DateTimeField(_("handed on"))

    class Meta:
        verbose_name = _("hand-over")
        verbose_name_plural = _("hand-overs")
        ordering = ["appointment", "at", "id"]

    def __str__(self) -> str:
        return f"{self.appointment_id}: {self.worker_id} → {self.to_worker_id} {self.at:%Y-%m-%d}"


class Dispatch(models.Model):
    """An offer of a planned task to a workshop (Einsatzangebot), with a deadline."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        OFFERED = "offered", _("offered")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        EXPIRED = "expired", _("expired")
        WITHDRAWN = "withdrawn", _("withdrawn")

    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.CASCADE,
        related_name="dispatches",
        verbose_name=_("appointment"),
    )
    workshop = models.ForeignKey(
        Workshop, on_delete=models.PROTECT, related_name="dispatches", verbose_name=_("workshop")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    deadline = models.DateTimeField(_("answer by"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(
        "core.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    worker = models.ForeignKey(
        Worker,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="dispatches",
        verbose_name=_("worker"),
    )
    decline_reason = models.CharField(_("reason for declining"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("dispatch")
        verbose_name_plural = _("dispatches")
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "deadline"])]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment"],
                condition=models.Q(status__in=["proposed", "offered", "accepted"]),
                name="one_open_dispatch_per_appointment",
            )
        ]

    def __str__(self) -> str:
        return f"{self.appointment} → {self.workshop} ({self.status})"


def new_feed_token() -> str:
    import secrets

    return secrets.token_urlsafe(32)


class FeedToken(models.Model):
    """A secret, revocable calendar feed URL for a worker, a workshop or a package."""

    class Scope(models.TextChoices):
        WORKER = "worker", _("worker")
        WORKSHOP = "workshop", _("workshop")
        PACKAGE = "package", _("package")

    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    key = models.PositiveBigIntegerField(_("id of the worker, workshop or package"))
    token = models.CharField(max_length=64, unique=True, default=new_feed_token, editable=False)
    owner = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="feed_tokens")
    # Calendar apps send no language: the feed speaks the one its owner used to create it.
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="de"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"
