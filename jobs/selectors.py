from collections.abc import Callable, Iterable
from datetime import date
from typing import NamedTuple

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, Func, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from jobs.models import (
    Acceptance,
    Message,
    Package,
    PackageTemplate,
    Photo,
    Quote,
    Supplement,
    Task,
    TemplateDependency,
    TemplateTask,
)
from trades.models import Worker, Workshop, WorkshopTrade
from trades.selectors import is_office, serving_area


def templates_visible_to(user) -> QuerySet[PackageTemplate]:
    """The catalogue: active templates for everyone, all of them for the office; parameters,
    tasks and dependencies prefetched so a page costs a constant number of queries."""
    qs = PackageTemplate.objects.prefetch_related(
        "parameters",
        Prefetch(
            "tasks",
            queryset=TemplateTask.objects.select_related("trade", "required_certification"),
        ),
        Prefetch(
            "dependencies",
            queryset=TemplateDependency.objects.select_related("predecessor", "successor"),
        ),
    ).order_by("name_de", "id")
    return qs if is_office(user) else qs.filter(active=True)


# --- the public member directory -----------------------------------------------------------------
# Public: what a homeowner may know about a member (name, town, trades, area served, Meister) and
# photos of finished work whose homeowner agreed to their publication. Never a street, a
# customer, a site, a price or a photo caption (a caption may name people or places).


def directory_workshops(*, trade=None, point=None) -> QuerySet[Workshop]:
    """Active member workshops with their trades, optionally only those offering ``trade`` and,
    for a ``point``, only those whose service area covers it, nearest first (``distance``
    annotated; the area rule of :func:`trades.selectors.serving_area`)."""
    qs = Workshop.objects.filter(active=True).prefetch_related(
        Prefetch("offers", queryset=WorkshopTrade.objects.select_related("trade"))
    )
    if trade is not None:
        qs = qs.filter(offers__trade=trade)
    if point is None:
        return qs.order_by("name", "id")
    return serving_area(qs, point)


def public_photos() -> QuerySet[Photo]:
    """Photos that may be shown to anyone: of a finished task, in a package whose homeowner
    agreed to publication (and has not withdrawn it), and not a checklist's evidence (a test
    report or pressure protocol may carry the customer's name and address)."""
    return Photo.objects.filter(
        task__package__photos_public=True,
        task__status=Task.Status.DONE,
        checklist_item__isnull=True,
    ).exclude(image="")


def _taken_by(**workshop) -> Q:
    # jobs sits below scheduling and does not know appointments: a photo belongs to the
    # workshop of the tradesperson (or the workshop admin) who took it. IN over a UNION counts
    # a photo once when its author is both, and lets PostgreSQL start from the authors' photos.
    people = (
        Worker.objects.filter(**workshop)
        .order_by()
        .values("user")
        .union(Workshop.admins.through.objects.filter(**workshop).values("user"))
    )
    return Q(created_by__in=people)


class WorkshopPhotos(NamedTuple):
    newest: list[Photo]  # newest first, at most the ``limit`` asked for
    count: int  # all of the workshop's public photos


def workshop_photos(workshop_ids, *, limit: int | None = None) -> dict[int, WorkshopPhotos]:
    """The public photos per workshop id, newest first, at most ``limit`` each, and how many
    there are; two queries for any number of workshops, the limit applied in the database."""
    # OuterRef twice: the workshop row is two subqueries out (photos, then their authors).
    taken = public_photos().filter(_taken_by(workshop=OuterRef(OuterRef("pk"))))
    rows = list(
        Workshop.objects.filter(pk__in=list(workshop_ids))
        .order_by()
        .values_list(
            "pk",
            ArraySubquery(taken.order_by("-created_at", "-id").values("pk")[:limit]),
            Subquery(
                taken.order_by().annotate(n=Func("pk", function="COUNT")).values("n"),
                output_field=IntegerField(),
            ),
        )
    )
    photos = (
        public_photos()
        .select_related("task__trade")
        .order_by()
        .in_bulk([pk for _, ids, _ in rows for pk in ids])
    )
    # ``if pk in photos``: consent may be withdrawn between the two queries.
    return {
        workshop_id: WorkshopPhotos([photos[pk] for pk in ids if pk in photos], count)
        for workshop_id, ids, count in rows
    }


def public_photo(photo_id: int) -> Photo:
    """One publishable photo of an active member's work; ``Photo.DoesNotExist`` otherwise."""
    return public_photos().filter(_taken_by(workshop__active=True)).get(pk=photo_id)


def owned_package(user, package_id: int) -> Package:
    """The homeowner's own package (``Package.DoesNotExist`` for anybody else, office included:
    only the homeowner decides about the photos of their home)."""
    if not getattr(user, "is_authenticated", False):
        raise Package.DoesNotExist
    return Package.objects.get(pk=package_id, customer__user=user)


# --- the homeowner's own orders ------------------------------------------------------------------
# jobs sits below scheduling and does not know appointments: the planner registers (in
# ``scheduling.apps``) a function giving the first and last working day of each package's
# appointments, for any number of packages in one query.

WorkDays = Callable[[list[int]], dict[int, tuple[date, date]]]
_work_days: list[WorkDays] = []


def register_work_days(fn: WorkDays) -> None:
    """``fn(package_ids)`` returns ``{package_id: (first_day, last_day)}`` of the packages that
    have live appointments; unplanned packages are left out."""
    _work_days[:] = [fn]


def work_days(package_ids: Iterable[int]) -> dict[int, tuple[date, date]]:
    # Missing, every order would read "not scheduled yet": fail instead of telling that.
    if not _work_days:
        raise RuntimeError("no work days source registered (is the scheduling app installed?)")
    return _work_days[0](list(package_ids))


def homeowner_orders(user) -> list[Package]:
    """The user's own packages, newest first, each with what its card on "Meine Aufträge" shows:
    ``unread`` office messages, ``latest_quote`` (``quote_expired`` when its validity has
    passed undecided, ``declined`` when the homeowner said no to it), ``followable``, and the
    dates besides ``created_at`` (requested) —
    ``ordered_at`` (the accepted quote), ``work_days`` (first and last day planned, or
    ``None``), ``awaiting_plan`` (ordered but not planned yet), ``approved_at`` (the last
    approved Abnahme) and ``open_supplements`` (supplements awaiting her decision, or None).
    A constant number of queries however many orders there are."""
    packages = list(
        Package.objects.filter(customer__user=user)
        .select_related("site", "template")
        .annotate(
            unread=Count(
                "messages",
                filter=Q(
                    messages__read_at__isnull=True,
                    messages__thread=Message.Thread.HOMEOWNER,
                    messages__sender=Message.Sender.OFFICE,
                ),
            ),
            # Subqueries, not more joins: those would multiply the messages counted.
            open_supplements=Subquery(
                Supplement.objects.filter(
                    package=OuterRef("pk"),
                    status=Supplement.Status.OPEN,
                    valid_until__gte=timezone.localdate(),
                )
                .values("package")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
            approved_at=Subquery(
                Acceptance.objects.filter(
                    package=OuterRef("pk"), outcome=Acceptance.Outcome.APPROVED
                )
                .order_by("-id")
                .values("created_at")[:1]
            ),
        )
        .prefetch_related(Prefetch("quotes", queryset=Quote.objects.order_by("-version")))
        .order_by("-created_at", "-id")
    )
    ordered = (Package.Status.ACCEPTED, Package.Status.IN_PROGRESS, Package.Status.DONE)
    today = timezone.localdate()
    # Only orders have days of work (a quote or a cancelled package has none to show).
    followed = [p.pk for p in packages if p.status in ordered]
    planned = work_days(followed) if followed else {}
    for package in packages:
        quotes = list(package.quotes.all())
        package.latest_quote = quotes[0] if quotes else None
        package.declined = bool(
            package.latest_quote and package.latest_quote.status == Quote.Status.DECLINED
        )
        package.quote_expired = not package.declined and bool(
            package.latest_quote and package.latest_quote.expired(today)
        )
        # A withdrawn order stays on its page: the withdrawal and its messages are read there.
        package.followable = package.status in ordered or package.withdrawn_at is not None
        package.ordered_at = next(
            (q.accepted_at for q in quotes if q.status == Quote.Status.ACCEPTED), None
        )
        package.work_days = planned.get(package.pk)
        package.awaiting_plan = (
            package.status in Package.PLANNED_STATUSES and package.work_days is None
        )
    return packages
