from django.db.models import Prefetch, QuerySet

from jobs.models import PackageTemplate, TemplateDependency, TemplateTask
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
