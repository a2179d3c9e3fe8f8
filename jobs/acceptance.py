"""Abnahme: the homeowner approves the finished package with a signature, or reports defects
that become rework tasks for the workshop responsible."""

from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.dispatch import Signal
from django.utils.translation import gettext as _

from jobs.fieldwork import clean_signature
from jobs.models import Acceptance, Defect, Package, Task
from zunft.core.errors import Conflict
from zunft.core.realtime import emit

#: Sent after commit with ``rework=[(rework_task, defective_task), ...]``; the planner listens
#: and offers each rework task to the workshop that did the defective one.
rework_requested = Signal()
REWORK_HOURS = Decimal(2)

# Renders the Abnahmeprotokoll (PDF bytes) of a recorded acceptance; invoicing, which makes the
# documents, registers it at start-up without jobs importing invoicing.
_protocol_renderer: list[Callable[[Acceptance], bytes]] = []


def register_protocol_renderer(fn: Callable[[Acceptance], bytes]) -> None:
    _protocol_renderer[:] = [fn]


def rendered_protocol(acceptance: Acceptance) -> bytes | None:
    """The protocol's PDF as it reads now (None without a renderer)."""
    return _protocol_renderer[0](acceptance) if _protocol_renderer else None


def acceptable(package: Package) -> list[str]:
    """Why the package cannot be accepted yet (empty when it can)."""
    if package.status not in (Package.Status.ACCEPTED, Package.Status.IN_PROGRESS):
        return [_("The order is not running (status: %s).") % package.get_status_display()]
    open_tasks = package.tasks.exclude(status__in=[Task.Status.DONE, Task.Status.CANCELLED])
    return [_("Not finished yet: %s") % t.name for t in open_tasks.order_by("position", "id")]


@transaction.atomic
def record_acceptance(
    package: Package,
    *,
    user,
    approved: bool,
    signer_name: str,
    signature_png: bytes,
    defects: list[dict] = (),
) -> Acceptance:
    """Record the Abnahme. Approving needs every task done and a signature and closes the
    package; reporting defects (each naming the task it concerns) creates one rework task per
    defect and keeps the package open. Locks the package row, so a double submit records once.
    The signature is re-encoded as PNG (an empty canvas is refused)."""
    package = Package.objects.select_for_update().get(pk=package.pk)
    if package.status == Package.Status.DONE:
        raise Conflict(_("This order has already been accepted."))
    reasons = acceptable(package)
    if reasons:
        raise Conflict(" ".join(reasons))
    if not signer_name.strip():
        raise ValidationError({"signer_name": _("Please give the name of the person signing.")})
    if approved and defects:
        raise ValidationError({"defects": _("Approve without defects, or report the defects.")})
    if not approved and not defects:
        raise ValidationError({"defects": _("Describe at least one defect.")})
    tasks = {t.pk: t for t in package.tasks.select_related("trade", "required_certification")}
    for i, defect in enumerate(defects):
        if defect.get("task") not in tasks:
            raise ValidationError({f"defects.{i}.task": _("Choose a part of this order.")})
        if not str(defect.get("description", "")).strip():
            raise ValidationError({f"defects.{i}.description": _("Describe the defect.")})
    acceptance = Acceptance(
        package=package,
        outcome=Acceptance.Outcome.APPROVED if approved else Acceptance.Outcome.DEFECTS,
        signer_name=signer_name.strip()[:150],
        created_by=user,
    )
    acceptance.signature.save(
        "signature.png", ContentFile(clean_signature(signature_png)), save=False
    )
    acceptance.save()
    rework = []
    for defect in defects:
        original = tasks[defect["task"]]
        row = Defect.objects.create(
            acceptance=acceptance,
            task=original,
            description=str(defect["description"]).strip()[:2000],
        )
        row.rework = Task.objects.create(
            package=package,
            code=f"nacharbeit-{row.pk}",
            name_de=f"Nacharbeit: {original.name_de}",
            name_en=f"Rework: {original.name_en}",
            trade=original.trade,
            required_certification=original.required_certification,
            crew_size=1,
            duration_hours=REWORK_HOURS,
            position=original.position,
        )
        row.save(update_fields=["rework"])
        rework.append((row.rework, original))
    package.status = Package.Status.DONE if approved else Package.Status.IN_PROGRESS
    package.save(update_fields=["status"])
    pdf = rendered_protocol(acceptance)
    if pdf is not None:  # frozen now, with the parts' state and defects as signed
        acceptance.protocol.save("protokoll.pdf", ContentFile(pdf), save=False)
        acceptance.save(update_fields=["protocol"])
    emit(
        [f"package.{package.pk}", "office"],
        "package.accepted" if approved else "package.defects",
        {"package": package.pk, "acceptance": acceptance.pk, "defects": len(rework)},
    )
    if rework:
        transaction.on_commit(lambda: rework_requested.send(sender=Package, rework=rework))
    return acceptance
