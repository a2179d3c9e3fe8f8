"""A consumer withdraws from the contract online (§ 355 BGB), through the withdrawal function
the portal must offer for contracts made on it (§ 356a BGB, Art. 11a of Directive 2011/83/EU
since 19 June 2026): a button "Vertrag hier widerrufen" on the order, a confirmation step, and
an acknowledgement of receipt with its content, date and time on a durable medium (a mail).

The work stops: the package is cancelled, and the planner (``contract_withdrawn``) cancels its
appointments and offers and gives the time to other jobs. Work already done at the homeowner's
request is paid for in proportion (§ 357a Abs. 2 BGB); the office is told so and bills it."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from jobs.models import Package, Quote, Task, TimeEntry
from jobs.services import WITHDRAWAL_DAYS
from trades.capacity import holiday_name
from trades.models import Cooperative
from zunft.core.errors import Conflict
from zunft.core.language import active_language
from zunft.core.realtime import emit

#: Sent inside the withdrawal's transaction with ``package``: the planner cancels its work.
contract_withdrawn = Signal()


@dataclass(frozen=True)
class WithdrawalState:
    """Whether the homeowner may withdraw now, until when, and if not, why (in words)."""

    possible: bool
    deadline: date | None = None
    reason: str = ""
    contract: Quote | None = None
    work_started: bool = False


def withdrawal_deadline(accepted_at) -> date:
    """The last day to withdraw for a contract made at ``accepted_at`` (a moment, or a day):
    fourteen days after the contract's day (§ 355 Abs. 2, § 187 Abs. 1 BGB), moved to the next
    working day when it falls on a Saturday, Sunday or public holiday at the cooperative's seat
    (§ 193 BGB)."""
    made = accepted_at if not isinstance(accepted_at, datetime) else None
    day = (made or timezone.localdate(accepted_at)) + timedelta(days=WITHDRAWAL_DAYS)
    cooperative = Cooperative.objects.order_by("pk").first()
    state = cooperative.state if cooperative else ""
    while day.weekday() >= 5 or (state and holiday_name(state, day)):
        day += timedelta(days=1)
    return day


def _day(value: date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def withdrawal_state(package: Package, today: date | None = None) -> WithdrawalState:
    """What the order page offers and what ``withdraw`` allows: one rule for both."""
    today = today or timezone.localdate()
    if package.withdrawn_at:
        return WithdrawalState(
            False,
            reason=_("You withdrew from this contract on %(date)s.")
            % {"date": _day(timezone.localdate(package.withdrawn_at))},
        )
    if package.customer.kind != package.customer.Kind.PRIVATE:
        return WithdrawalState(
            False, reason=_("An order placed for a business has no statutory right of withdrawal.")
        )
    contract = package.quotes.filter(status=Quote.Status.ACCEPTED).first()
    if contract is None or contract.accepted_at is None:
        return WithdrawalState(False, reason=_("There is no order to withdraw from."))
    deadline = withdrawal_deadline(contract.accepted_at)
    if today > deadline:
        return WithdrawalState(
            False,
            deadline=deadline,
            reason=_("The withdrawal period ended on %(date)s.") % {"date": _day(deadline)},
            contract=contract,
        )
    if package.status == Package.Status.DONE and contract.early_start_consent:
        return WithdrawalState(
            False,
            reason=_(
                "The work is complete, which you asked us to begin early: the right of "
                "withdrawal has ended (§ 356 Abs. 4 BGB)."
            ),
            contract=contract,
        )
    if package.status not in Package.PLANNED_STATUSES:
        return WithdrawalState(False, reason=_("There is no order to withdraw from."))
    started = (
        package.tasks.filter(status__in=[Task.Status.IN_PROGRESS, Task.Status.DONE]).exists()
        or TimeEntry.objects.filter(task__package=package).exists()
    )
    return WithdrawalState(True, deadline=deadline, contract=contract, work_started=started)


@transaction.atomic
def withdraw(package_id: int, *, user, today: date | None = None) -> Package:
    """Receive the homeowner's withdrawal: the package is cancelled with the time of receipt,
    its open tasks with it; the planner cancels the appointments and offers, the office and the
    workshops are told, and the homeowner gets the acknowledgement. Idempotent (a second tab,
    a retry); a foreign package does not exist (``Package.DoesNotExist``); a withdrawal no
    longer possible is refused (``Conflict``, with the reason). Locks the package row."""
    package = (
        Package.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=package_id, customer__user=user)
    )
    if package.withdrawn_at:
        return package
    state = withdrawal_state(package, today)
    if not state.possible:
        raise Conflict(state.reason)
    package.status = Package.Status.CANCELLED
    package.withdrawn_at = timezone.now()
    package.withdrawn_by = user
    package.save(update_fields=["status", "withdrawn_at", "withdrawn_by"])
    # Appointments before tasks, the order in which offers and the planner lock them.
    contract_withdrawn.send(sender=Package, package=package)
    package.tasks.exclude(status=Task.Status.DONE).update(status=Task.Status.CANCELLED)
    emit(
        [f"package.{package.pk}", "office"],
        "contract.withdrawn",
        {"package": package.pk, "work_started": state.work_started},
    )
    language = active_language()
    transaction.on_commit(
        lambda: acknowledge(package, state.contract, state.work_started, language), robust=True
    )
    return package


def acknowledge(package: Package, contract: Quote, work_started: bool, language: str) -> None:
    """The acknowledgement of receipt on a durable medium: what was withdrawn from, by whom,
    when it was received, and what follows. In the language the homeowner withdrew in."""
    from django.core.mail import send_mail

    user = package.withdrawn_by
    email = package.customer.email or (user.email if user else "")
    if not email:
        return
    received = timezone.localtime(package.withdrawn_at)
    with translation.override(language):
        lines = [
            _("We have received your withdrawal from the contract below."),
            "",
            _("Received: %(date)s, %(time)s")
            % {"date": _day(received.date()), "time": received.strftime("%H:%M")},
            _("Contract: %(title)s, quote %(number)s, accepted on %(date)s")
            % {
                "title": package.name,
                "number": f"{package.pk}-{contract.version}",
                "date": _day(timezone.localdate(contract.accepted_at)),
            },
            _("Withdrawn by: %(name)s") % {"name": package.customer.display_name},
            _("Your statement: “I hereby withdraw from the contract named above.”"),
            "",
        ]
        if work_started:
            lines.append(
                _(
                    "Work had already begun at your request. You pay for the work done until "
                    "your withdrawal, in proportion to the whole (§ 357a Abs. 2 BGB); we will "
                    "send you a statement of it."
                )
            )
        lines += [
            _(
                "Anything you paid us is refunded within fourteen days, by the same means of "
                "payment, less the value of the work done."
            )
            if work_started
            else _(
                "Anything you paid us is refunded within fourteen days, by the same means of "
                "payment."
            ),
            _("Your order online: %(url)s")
            % {"url": settings.SITE_URL + reverse("package", args=[package.pk])},
        ]
        subject = _("Your withdrawal has been received: %(title)s") % {"title": package.name}
    send_mail(subject, "\n".join(lines), None, [email])
