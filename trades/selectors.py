"""Reads of the cooperative's master data, filtered by who is asking.

The one rule set (DESIGN.md §6) for API, pages and websockets:
- office staff and cooperative admins see everything;
- a workshop admin sees and manages their own workshops and those workshops' workers;
- a tradesperson sees their own worker record and their workshop;
- the directory of workshops and the catalogue are public, without private fields
  (rates, bank and tax data).
"""

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.measure import D
from django.db.models import F, Max, Prefetch, Q, QuerySet

from trades.models import Absence, Trade, Worker, WorkerCertification, Workshop, WorkshopTrade


def is_office(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_office)


def administered_workshop_ids(user) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(user.administered_workshops.values_list("id", flat=True))


def member_workshop_ids(user) -> set[int]:
    """Workshops whose private data the user may see: the ones they run or work for."""
    if not getattr(user, "is_authenticated", False):
        return set()
    ids = administered_workshop_ids(user)
    ids.update(Worker.objects.filter(user=user).values_list("workshop_id", flat=True))
    return ids


def may_see_private(user, workshop_id: int) -> bool:
    return is_office(user) or workshop_id in member_workshop_ids(user)


def may_manage_workshop(user, workshop_id: int) -> bool:
    return is_office(user) or workshop_id in administered_workshop_ids(user)


def workshop_list() -> QuerySet[Workshop]:
    """Workshops with their offers and trades in a constant number of queries."""
    return Workshop.objects.prefetch_related(
        Prefetch(
            "offers",
            queryset=WorkshopTrade.objects.select_related("trade").prefetch_related(
                "certifications"
            ),
        )
    ).order_by("name", "id")


def workshops_visible_to(user) -> QuerySet[Workshop]:
    """The public directory shows active members; office and members also see inactive ones."""
    qs = workshop_list()
    if is_office(user):
        return qs
    return qs.filter(Q(active=True) | Q(id__in=member_workshop_ids(user)))


def workers_visible_to(user) -> QuerySet[Worker]:
    qs = Worker.objects.select_related("workshop").prefetch_related(
        "trades",
        Prefetch(
            "certifications", queryset=WorkerCertification.objects.select_related("certification")
        ),
    )
    if is_office(user):
        return qs.order_by("last_name", "first_name", "id")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(Q(workshop_id__in=administered_workshop_ids(user)) | Q(user=user)).order_by(
        "last_name", "first_name", "id"
    )


def absences_visible_to(user) -> QuerySet[Absence]:
    qs = Absence.objects.select_related("worker", "workshop")
    if is_office(user):
        return qs
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs.filter(Q(workshop_id__in=administered_workshop_ids(user)) | Q(worker__user=user))


def serving_area(qs: QuerySet[Workshop], point) -> QuerySet[Workshop]:
    """``qs`` narrowed to the workshops whose service area covers ``point``, nearest first,
    annotated with ``distance``.

    The service area is the polygon when one is set, else the radius around the workshop. A
    constant ST_DWithin with the largest radius in use lets PostgreSQL use the GiST index on
    ``location``; the per-workshop radius is then checked on the few rows left.
    """
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


def area_served(point) -> bool:
    """Whether some active member works at ``point`` at all: a place we know but where the
    cooperative does not work (yet) is not an unknown place."""
    return serving_area(Workshop.objects.filter(active=True), point).exists()


def workshops_serving(point, trade: Trade, certification=None):
    """Active workshops that offer ``trade`` (holding ``certification`` when the task requires
    it) and whose service area covers ``point`` (:func:`serving_area`), nearest first,
    annotated with ``distance``."""
    offers = WorkshopTrade.objects.filter(trade=trade)
    if certification is not None:
        offers = offers.filter(certifications=certification)
    return serving_area(
        workshop_list().filter(active=True, id__in=offers.values("workshop_id")), point
    )
