"""Writes to the cooperative's master data. Each function validates fully and saves everything or
nothing; a ``ValidationError`` names the offending field."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from trades.models import (
    Absence,
    Certification,
    Trade,
    Worker,
    WorkerCertification,
    Workshop,
    WorkshopTrade,
)
from trades.selectors import administered_workshop_ids
from trades.validators import normalize_compact

#: A worker was added or changed (trades, active): the workshop's crews may differ. The
#: planner listens (it sits above this app).
team_changed = Signal()


def _save(instance):
    instance.full_clean()
    instance.save()
    return instance


def _apply(instance, data: dict):
    for field, value in data.items():
        setattr(instance, field, value)
    for field in ("vat_id", "iban", "bic"):
        if getattr(instance, field, None):
            setattr(instance, field, normalize_compact(getattr(instance, field)))


@transaction.atomic
def save_trade(data: dict, certification_codes: list[str] | None, trade: Trade | None = None):
    """Create or update a trade and the certifications its tasks may require."""
    trade = trade or Trade()
    _apply(trade, data)
    _save(trade)
    if certification_codes is not None:
        trade.certifications.set(_certifications(certification_codes, "certifications"))
    return trade


def _certifications(codes: list[str], field: str) -> list[Certification]:
    found = {c.code: c for c in Certification.objects.filter(code__in=codes)}
    unknown = sorted(set(codes) - set(found))
    if unknown:
        raise ValidationError({field: _("Unknown certification: %s") % ", ".join(unknown)})
    return [found[code] for code in codes]


@transaction.atomic
def save_workshop(data: dict, offers: list[dict] | None, workshop: Workshop | None = None):
    """Create or update a member workshop; ``offers`` (trade code, hourly rate, crews,
    certification codes) replaces the trades it offers when given."""
    workshop = workshop or Workshop()
    _apply(workshop, data)
    _save(workshop)
    if offers is not None:
        _replace_offers(workshop, offers)
    return workshop


def _replace_offers(workshop: Workshop, offers: list[dict]) -> None:
    codes = [offer["trade"] for offer in offers]
    trades = {t.code: t for t in Trade.objects.filter(code__in=codes)}
    unknown = sorted(set(codes) - set(trades))
    if unknown:
        raise ValidationError({"offers": _("Unknown trade: %s") % ", ".join(unknown)})
    if len(set(codes)) != len(codes):
        raise ValidationError({"offers": _("Each trade may be offered once.")})
    workshop.offers.exclude(trade__code__in=codes).delete()
    for offer in offers:
        row = WorkshopTrade.objects.filter(workshop=workshop, trade=trades[offer["trade"]]).first()
        row = row or WorkshopTrade(workshop=workshop, trade=trades[offer["trade"]])
        row.hourly_rate = offer["hourly_rate"]
        row.crews = offer.get("crews", 1)
        try:
            _save(row)
        except ValidationError as exc:
            raise ValidationError(
                {f"offers.{offer['trade']}.{k}": v for k, v in exc.message_dict.items()}
            ) from exc
        row.certifications.set(_certifications(offer.get("certifications", []), "offers"))


@transaction.atomic
def save_worker(workshop: Workshop, data: dict, trade_codes: list[str] | None, worker=None):
    """Create or update a worker of ``workshop``; trades must be ones the workshop offers, and
    one in the team needs at least one (without a trade the planner never gives them a job)."""
    if trade_codes is None and worker is None:
        trade_codes = []
    active = data.get("active", worker.active if worker else True)
    if trade_codes == [] and active:
        raise ValidationError(
            {"trades": _("Choose at least one trade: without one, the worker is never planned.")}
        )
    if trade_codes is not None:
        offered = set(workshop.offers.values_list("trade__code", flat=True))
        foreign = sorted(set(trade_codes) - offered)
        if foreign:
            raise ValidationError(
                {"trades": _("The workshop does not offer: %s") % ", ".join(foreign)}
            )

    def crew_facts(w: Worker) -> tuple:  # what the planner's crews depend on
        return w.active, set(w.trades.values_list("code", flat=True))

    was = crew_facts(worker) if worker else None
    worker = worker or Worker(workshop=workshop)
    _apply(worker, data)
    _save(worker)
    if trade_codes is not None:
        worker.trades.set(Trade.objects.filter(code__in=trade_codes))
    if crew_facts(worker) != was:  # a phone number changes no crew
        team_changed.send(sender=Worker, workshop=workshop, worker=worker)
    return worker


@transaction.atomic
def link_login(worker: Worker, user, *, mine: bool) -> None:
    """An owner who works too links their own login to their worker record (they then get
    its jobs, offers and calendar in the field app), or unlinks it."""
    if not mine:
        if worker.user_id == user.pk:
            Worker.objects.filter(pk=worker.pk).update(user=None)
            worker.user = None
        return
    if worker.workshop_id not in administered_workshop_ids(user):
        raise ValidationError({"my_login": _("Only the workshop's own people link their login.")})
    if worker.user_id not in (None, user.pk):
        raise ValidationError({"my_login": _("This worker has a login of their own.")})
    taken = ValidationError({"my_login": _("Your login belongs to another worker already.")})
    if Worker.objects.filter(user=user).exclude(pk=worker.pk).exists():
        raise taken
    try:
        with transaction.atomic():  # a second tab linking the same login at the same moment
            Worker.objects.filter(pk=worker.pk).update(user=user)
    except IntegrityError as exc:
        raise taken from exc
    worker.user = user


@transaction.atomic
def certify(worker: Worker, certification: Certification, *, valid_until=None, reference=""):
    """Record a worker's certification, or renew it (a new date, a new certificate number).
    One valid until a day already past is refused: it would count for nothing, and a renewal
    comes with its new date."""
    if valid_until is not None and valid_until < timezone.localdate():
        raise ValidationError(
            {
                "valid_until": _(
                    "This date has passed: enter the date the certificate is valid until now."
                )
            }
        )
    held = WorkerCertification.objects.filter(worker=worker, certification=certification).first()
    held = held or WorkerCertification(worker=worker, certification=certification)
    held.valid_until, held.reference = valid_until, reference
    return _save(held)


def uncertify(worker: Worker, code: str) -> bool:
    """Remove a certification the worker does not hold (any more). True if there was one."""
    deleted, _rows = WorkerCertification.objects.filter(
        worker=worker, certification__code=code
    ).delete()
    return bool(deleted)


@transaction.atomic
def lift_absence(absence: Absence, today) -> Absence | None:
    """Take back an absence from ``today`` on: one that has not begun is deleted; one that has
    ends yesterday (the worker is back), so what happened stays recorded. Past ones stay."""
    absence = Absence.objects.select_for_update().get(pk=absence.pk)
    if absence.end < today:
        raise ValidationError({"absence": _("This absence is over; it stays on record.")})
    if absence.start >= today:
        absence.delete()
        return None
    absence.end = today - timedelta(days=1)
    absence.save(update_fields=["end"])
    return absence


@transaction.atomic
def add_absence(workshop: Workshop, data: dict) -> Absence:
    """Record an absence of a worker, or of the whole workshop when no worker is given. One
    sharing a day with another absence of the same worker, or a closure sharing a day with
    another closure of the workshop, is refused at ``start``, naming it (``Absence.clean``);
    the worker's row, or for a closure the workshop's, is locked so that two at once cannot
    both pass."""
    if data.get("worker") is not None:
        Worker.objects.select_for_update().get(pk=data["worker"].pk)
    else:
        Workshop.objects.select_for_update().get(pk=workshop.pk)
    return _save(Absence(workshop=workshop, **data))
