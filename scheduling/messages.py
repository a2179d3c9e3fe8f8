"""A package's messages: the homeowner's thread with the office, and one thread between the office
and each workshop working on the package.

Who sees what follows the isolation rules: the homeowner reads only their own thread, a workshop
only its own thread (never the homeowner's words or another member's), the office everything.
New messages are announced live to the other side: homeowner threads on ``owner.<package>``
(the package group also reaches the workshops, so it must not carry the homeowner's thread),
workshop threads on ``workshop.<id>``, and everything on ``office``.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jobs.models import Message, Package
from scheduling.models import Appointment
from trades.models import Workshop
from trades.selectors import is_office, member_workshop_ids
from zunft.core.realtime import emit

MAX_LENGTH = 4000


def working_workshop_ids(package: Package) -> set[int]:
    """The workshops with (not cancelled) work on the package: the office may write to them."""
    return set(
        Appointment.objects.filter(task__package=package)
        .exclude(status=Appointment.Status.CANCELLED)
        .values_list("workshop_id", flat=True)
    )


def own_working_workshops(user, package: Package) -> set[int]:
    """The user's own workshops that work on the package (they may write to the office)."""
    member_of = member_workshop_ids(user)
    return member_of & working_workshop_ids(package) if member_of else set()


def is_owner(user, package: Package) -> bool:
    return bool(user.is_authenticated and package.customer.user_id == user.pk)


def visible_messages(user, package: Package) -> QuerySet[Message]:
    """The messages of ``package`` that ``user`` may read (the caller checked the package)."""
    messages = Message.objects.filter(package=package).select_related("workshop", "author")
    if is_office(user):
        return messages
    if is_owner(user, package):
        return messages.filter(thread=Message.Thread.HOMEOWNER)
    return messages.filter(
        thread=Message.Thread.WORKSHOP, workshop_id__in=member_workshop_ids(user)
    )


def _groups(message: Message) -> list[str]:
    if message.thread == Message.Thread.HOMEOWNER:
        return ["office", f"owner.{message.package_id}"]
    return ["office", f"workshop.{message.workshop_id}"]


def _addressing(user, package: Package, thread, workshop_id) -> tuple[str, str, int | None]:
    """Who writes (sender) into which thread (and workshop), from who ``user`` is."""
    if is_office(user):
        thread = thread or Message.Thread.HOMEOWNER
        if thread == Message.Thread.HOMEOWNER:
            return Message.Sender.OFFICE, thread, None
        if workshop_id not in working_workshop_ids(package):
            raise ValidationError({"workshop_id": _("This workshop has no work on this order.")})
        return Message.Sender.OFFICE, thread, workshop_id
    if is_owner(user, package):
        if thread not in (None, Message.Thread.HOMEOWNER) or workshop_id is not None:
            raise ValidationError(
                {"thread": _("You write to the office; it speaks to the workshops.")}
            )
        return Message.Sender.HOMEOWNER, Message.Thread.HOMEOWNER, None
    own = own_working_workshops(user, package)
    if not own:
        raise PermissionDenied
    if workshop_id is None and len(own) == 1:
        workshop_id = next(iter(own))
    if workshop_id not in own:
        raise ValidationError({"workshop_id": _("Choose one of your workshops on this order.")})
    if thread not in (None, Message.Thread.WORKSHOP):
        raise ValidationError({"thread": _("Workshops write to the office.")})
    return Message.Sender.WORKSHOP, Message.Thread.WORKSHOP, workshop_id


@transaction.atomic
def post_message(
    user, package: Package, body: str, *, thread: str | None = None, workshop_id: int | None = None
) -> Message:
    """Write a message as whoever ``user`` is on this package. The office chooses the thread
    (the homeowner, or a workshop working on the package); the homeowner always writes to the
    office; a workshop writes in its own thread."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Please write a message.")})
    if len(body) > MAX_LENGTH:
        raise ValidationError({"body": _("At most %(n)s characters, please.") % {"n": MAX_LENGTH}})
    if thread not in (None, *Message.Thread.values):
        raise ValidationError({"thread": _("Unknown thread.")})
    sender, thread, workshop_id = _addressing(user, package, thread, workshop_id)
    message = Message.objects.create(
        package=package,
        thread=thread,
        workshop_id=workshop_id,
        sender=sender,
        author=user,
        body=body,
    )
    emit(
        _groups(message),
        "message.created",
        {
            "package": package.pk,
            "message": message.pk,
            "thread": thread,
            "workshop": workshop_id,
            "sender": sender,
        },
    )
    if sender == Message.Sender.OFFICE:
        _mail_the_other_side(package, workshop_id)
    return message


def recipients(user, package: Package) -> list[dict]:
    office = {
        "thread": Message.Thread.HOMEOWNER,
        "workshop_id": None,
        "name": _("Cooperative office"),
    }
    if is_owner(user, package):
        return [office]
    if not is_office(user):
        return [
            {
                "thread": Message.Thread.WORKSHOP,
                "workshop_id": w.pk,
                "name": _("Cooperative office"),
            }
            for w in Workshop.objects.filter(pk__in=own_working_workshops(user, package))
        ]
    customer = package.customer
    found = [
        {
            "thread": Message.Thread.HOMEOWNER,
            "workshop_id": None,
            "name": _("Homeowner: %(name)s")
            % {"name": f"{customer.first_name} {customer.last_name}"},
        }
    ]
    for workshop in Workshop.objects.filter(pk__in=working_workshop_ids(package)).order_by("name"):
        found.append(
            {"thread": Message.Thread.WORKSHOP, "workshop_id": workshop.pk, "name": workshop.name}
        )
    return found


def _mail_the_other_side(package: Package, workshop_id: int | None) -> None:
    """A short mail with a link, never the text: it is read behind the login. The homeowner's
    thread mails the customer; a workshop's thread its office address (the van sees the order)."""
    # In the reader's language, not the writer's: the homeowner's, or the cooperative's.
    language = package.customer.language if workshop_id is None else settings.LANGUAGE_CODE
    with translation.override(language):
        url = f"{settings.SITE_URL}{reverse('package', args=[package.pk])}#nachrichten"
        if workshop_id is None:
            email = package.customer.email
            subject = _("New message about your order")
            text = _(
                "The cooperative's office has written to you about %(title)s. "
                "Read and answer it here: %(url)s"
            ) % {"title": package.name, "url": url}
        else:
            email = Workshop.objects.filter(pk=workshop_id).values_list("email", flat=True).first()
            subject = _("The cooperative's office about order #%(id)s") % {"id": package.pk}
            text = _(
                "The office has written to you about order #%(id)s. "
                "Read and answer it here: %(url)s"
            ) % {"id": package.pk, "url": url}
    if email:
        transaction.on_commit(lambda: send_mail(subject, text, None, [email]))


def mark_read(user, package: Package) -> int:
    """Mark what the other side wrote, in the threads ``user`` reads, as read; returns how many."""
    others = visible_messages(user, package).filter(read_at__isnull=True)
    if is_office(user):
        others = others.exclude(sender=Message.Sender.OFFICE)
    elif is_owner(user, package):
        others = others.exclude(sender=Message.Sender.HOMEOWNER)
    else:
        others = others.exclude(sender=Message.Sender.WORKSHOP)
    return Message.objects.filter(pk__in=others.values("pk")).update(read_at=timezone.now())


def may_follow_owner_thread(user, key: str) -> bool:
    """``owner.<package>``: only the package's homeowner (the office joins every group)."""
    return key.isdigit() and Package.objects.filter(pk=int(key), customer__user=user).exists()
