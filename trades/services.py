"""Writes to the cooperative's master data. Each function validates fully and saves everything or
nothing; a ``ValidationError`` names the offending field."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from trades.models import Absence, Certification, Trade, Worker, Workshop, WorkshopTrade
from trades.validators import normalize_compact


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
    """Create or update a worker of ``workshop``; trades must be ones the workshop offers."""
    worker = worker or Worker(workshop=workshop)
    _apply(worker, data)
    _save(worker)
    if trade_codes is not None:
        offered = set(workshop.offers.values_list("trade__code", flat=True))
        foreign = sorted(set(trade_codes) - offered)
        if foreign:
            raise ValidationError(
                {"trades": _("The workshop does not offer: %s") % ", ".join(foreign)}
            )
        worker.trades.set(Trade.objects.filter(code__in=trade_codes))
    return worker


@transaction.atomic
def add_absence(workshop: Workshop, data: dict) -> Absence:
    """Record an absence of a worker, or of the whole workshop when no worker is given."""
    return _save(Absence(workshop=workshop, **data))
