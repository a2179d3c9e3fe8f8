from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """Everyone who logs in. The role decides what they may see: the apps' selectors ask it for
    the API and the pages (``trades.selectors``), ``zunft.core.permissions`` for the admin."""

    class Role(models.TextChoices):
        HOMEOWNER = "homeowner", _("Homeowner")
        TRADESPERSON = "tradesperson", _("Tradesperson")
        WORKSHOP_ADMIN = "workshop_admin", _("Workshop admin")
        OFFICE = "office", _("Office staff")
        COOP_ADMIN = "coop_admin", _("Cooperative admin")

    #: The roles that see every workshop's, customer's and order's data.
    OFFICE_ROLES = frozenset({Role.OFFICE, Role.COOP_ADMIN})

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.HOMEOWNER)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_office(self) -> bool:
        return self.role in self.OFFICE_ROLES or self.is_superuser

    @property
    def has_second_factor(self) -> bool:
        """Logs in with a second factor (see zunft.core.twofactor.needs_second_factor)."""
        from zunft.core.twofactor import needs_second_factor

        return needs_second_factor(self)


class Operation(models.Model):
    """A piece of background work whose progress people watch (re-plans, bulk invoicing, imports).

    Services create it and enqueue the Celery task on commit; the worker claims it with a
    conditional update, so a task delivered twice runs once.
    """

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=50)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveIntegerField(_("progress"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    worker = models.CharField(_("processed by"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("background operation")
        verbose_name_plural = _("background operations")
        ordering = ["-id"]
        indexes = [models.Index(fields=["kind", "state"])]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"


class Event(models.Model):
    """The event outbox: every change a user should see live, written in the same transaction as
    the change. The id only grows, so a client that reconnects asks for events after the last id
    it saw (websockets are lossy)."""

    group = models.CharField(_("group"), max_length=100, db_index=True)
    type = models.CharField(_("type"), max_length=60)
    data = models.JSONField(_("data"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Set once the event reached the channel layer. Empty: still to send (Redis was down, or the
    # process died between commit and publish); the ``core.republish_events`` beat task sends it.
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["group", "id"]),
            # Only the few unpublished rows: the republisher's scan stays cheap on a big table.
            models.Index(
                fields=["id"],
                name="core_event_unpublished",
                condition=models.Q(published_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group}: {self.type} #{self.pk}"

    def as_message(self) -> dict:
        return {
            "id": self.pk,
            "group": self.group,
            "type": self.type,
            "data": self.data,
            "created_at": self.created_at.isoformat(),
        }


class LoginCode(models.Model):
    """A one-time code mailed to a homeowner: passwordless login. Stored hashed; expires; a few
    wrong tries burn it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_codes")
    code_hash = models.CharField(max_length=128)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("login code")
        verbose_name_plural = _("login codes")
        indexes = [models.Index(fields=["user", "expires_at"])]

    def __str__(self) -> str:
        return f"code for {self.user_id}"


class ConsentManager(models.Manager):
    def record(self, user, kind: str, subject: str = "") -> "Consent":
        """The consent of ``user`` to the current version of the texts."""
        return self.create(user=user, kind=kind, text_version=Consent.TEXT_VERSION, subject=subject)


class Consent(models.Model):
    """What a person agreed to, when, and to which text version (privacy notice, withdrawal
    notice, early start within the withdrawal period)."""

    TEXT_VERSION = "2026-1"  # of the notices and consent texts shown today

    class Kind(models.TextChoices):
        PRIVACY = "privacy", _("privacy notice")
        WITHDRAWAL_NOTICE = "withdrawal_notice", _("withdrawal notice shown")
        EARLY_START = "early_start", _("start within the withdrawal period")
        PHOTO_PUBLICATION = "photo_publication", _("publication of photos")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    text_version = models.CharField(max_length=20)
    subject = models.CharField(max_length=100, blank=True)
    given_at = models.DateTimeField(auto_now_add=True)

    objects = ConsentManager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at"]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"


class ApiToken(models.Model):
    """A personal API token for apps and scripts: scoped (read, or read and write), revocable,
    optionally expiring. Only a SHA-256 of the secret is stored; it is shown once."""

    class Scope(models.TextChoices):
        READ = "read", _("read")
        WRITE = "write", _("read and write")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(_("scope"), max_length=5, choices=Scope.choices, default=Scope.READ)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
