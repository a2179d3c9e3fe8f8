from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.measure import D
from django.db.models import F, Max, Prefetch, Q, QuerySet

from jobs.models import Package, PackageTemplate, Photo, Task, TemplateDependency, TemplateTask
from trades.models import Workshop, WorkshopTrade
from trades.selectors import is_office


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
    annotated). The same area rule as ``trades.selectors.workshops_serving``."""
    qs = Workshop.objects.filter(active=True).prefetch_related(
        Prefetch("offers", queryset=WorkshopTrade.objects.select_related("trade"))
    )
    if trade is not None:
        qs = qs.filter(offers__trade=trade)
    if point is None:
        return qs.order_by("name", "id")
    max_radius = (
        Workshop.objects.filter(active=True, service_area__isnull=True).aggregate(
            m=Max("service_radius_km")
        )["m"]
        or 0
    )
    in_radius = Q(service_area__isnull=True, location__dwithin=(point, D(km=max_radius)))
    in_polygon = Q(service_area__isnull=False, service_area__intersects=point)
    return (
        qs.filter(in_radius | in_polygon)
        .annotate(distance=Distance("location", point))
        .filter(Q(service_area__isnull=False) | Q(distance__lte=F("service_radius_km") * 1000))
        .order_by("distance", "id")
    )


def public_photos() -> QuerySet[Photo]:
    """Photos that may be shown to anyone: of a finished task, in a package whose homeowner
    agreed to publication (and has not withdrawn it), and not a checklist's evidence (a test
    report or pressure protocol may carry the customer's name and address)."""
    return Photo.objects.filter(
        task__package__photos_public=True,
        task__status=Task.Status.DONE,
        checklist_item__isnull=True,
    ).exclude(image="")


def _taken_by(workshop_ids) -> Q:
    # jobs sits below scheduling and does not know appointments: a photo belongs to the
    # workshop of the tradesperson (or the workshop admin) who took it.
    return Q(created_by__worker__workshop__in=workshop_ids) | Q(
        created_by__administered_workshops__in=workshop_ids
    )


def workshop_photos(workshop_ids) -> dict[int, list[Photo]]:
    """The public photos per workshop id, newest first; two queries for any number of workshops
    (one per way a photo is tied to its workshop)."""
    ids = list(workshop_ids)
    base = public_photos().select_related("task__trade").order_by("-created_at", "-id")
    found: dict[int, dict[int, Photo]] = {pk: {} for pk in ids}
    for link in ("created_by__worker__workshop", "created_by__administered_workshops"):
        for photo in base.filter(**{f"{link}__in": ids}).annotate(owner_id=F(link)):
            found[photo.owner_id].setdefault(photo.pk, photo)
    return {
        pk: sorted(photos.values(), key=lambda p: (p.created_at, p.pk), reverse=True)
        for pk, photos in found.items()
    }


def public_photo(photo_id: int) -> Photo:
    """One publishable photo of an active member's work; ``Photo.DoesNotExist`` otherwise."""
    return (
        public_photos()
        .filter(_taken_by(Workshop.objects.filter(active=True).values("id")))
        .distinct()
        .get(pk=photo_id)
    )


def owned_package(user, package_id: int) -> Package:
    """The homeowner's own package (``Package.DoesNotExist`` for anybody else, office included:
    only the homeowner decides about the photos of their home)."""
    if not getattr(user, "is_authenticated", False):
        raise Package.DoesNotExist
    return Package.objects.get(pk=package_id, customer__user=user)
