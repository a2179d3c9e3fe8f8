"""Changes below the planner that make it re-plan (apps talk upwards through signals)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from jobs.acceptance import rework_requested
from jobs.fieldwork import task_overran
from jobs.models import Package
from jobs.supplements import supplement_accepted
from jobs.withdrawal import contract_withdrawn
from trades.models import Absence, WorkerCertification
from trades.services import team_changed


def _replan_after_commit(reason: str) -> None:
    from scheduling.services import request_replan

    transaction.on_commit(lambda: request_replan(reason))


@receiver(post_save, sender=Absence, dispatch_uid="replan_on_absence")
def absence_saved(sender, instance: Absence, created, **kwargs):
    if kwargs.get("raw"):
        return
    _replan_after_commit(f"absence {instance.pk} ({instance.kind})")


@receiver(post_delete, sender=Absence, dispatch_uid="replan_on_absence_lifted")
def absence_deleted(sender, instance: Absence, **kwargs):
    _replan_after_commit(f"absence {instance.pk} lifted")


@receiver(post_save, sender=WorkerCertification, dispatch_uid="replan_on_certification")
@receiver(post_delete, sender=WorkerCertification, dispatch_uid="replan_on_certification_gone")
def certification_changed(sender, instance: WorkerCertification, **kwargs):
    # Certified tasks are planned on the crews that hold a valid certification.
    if not kwargs.get("raw"):
        _replan_after_commit(f"certification of worker {instance.worker_id} changed")


@receiver(team_changed, dispatch_uid="replan_on_team_change")
def replan_on_team_change(sender, workshop, worker, **kwargs):
    from scheduling.services import cover_for_worker

    def cover():
        # After the edit's commit and in a transaction of its own: the edit holds the worker's
        # row, and the cover locks appointments before workers, as the planner does.
        with transaction.atomic():
            cover_for_worker(worker)

    transaction.on_commit(cover)
    _replan_after_commit(f"worker {worker.pk} of workshop {workshop.pk} changed")


@receiver(post_save, sender=Package, dispatch_uid="replan_on_package")
def package_saved(sender, instance: Package, **kwargs):
    if kwargs.get("raw") or instance.status != Package.Status.ACCEPTED:
        return
    _replan_after_commit(f"package {instance.pk} accepted")


@receiver(task_overran, dispatch_uid="replan_on_overrun")
def replan_on_overrun(sender, reason, **kwargs):
    _replan_after_commit(reason)


@receiver(rework_requested, dispatch_uid="plan_rework")
def plan_rework(sender, rework, **kwargs):
    from scheduling.services import plan_rework as plan

    plan(rework)


@receiver(contract_withdrawn, dispatch_uid="cancel_withdrawn_work")
def cancel_withdrawn_work(sender, package, **kwargs):
    from scheduling.dispatch import cancel_package_work

    if cancel_package_work(package):
        _replan_after_commit(f"package {package.pk} withdrawn")


@receiver(supplement_accepted, dispatch_uid="plan_supplement")
def plan_supplement(sender, package, supplement, **kwargs):
    _replan_after_commit(f"supplement {supplement.number} to package {package.pk} accepted")
