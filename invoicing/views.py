from django.http import HttpResponse

from invoicing.quote_pdf import render_quote
from jobs.api import visible_quote


def quote_pdf(request, quote_id: int):
    """The quote as a PDF, for whoever may see the quote."""
    filename, mimetype, content = render_quote(visible_quote(request, quote_id))
    response = HttpResponse(content, content_type=mimetype)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def acceptance_pdf(request, package_id: int, acceptance_id: int):
    """The Abnahmeprotokoll for whoever may follow the package."""
    from django.apps import apps
    from django.http import Http404
    from django.shortcuts import get_object_or_404

    from invoicing.protocol_pdf import render_protocol
    from jobs.models import Acceptance
    from zunft.core.realtime import may_join

    if not may_join(request.user, f"package.{package_id}"):
        raise Http404
    acceptance = get_object_or_404(
        Acceptance.objects.select_related("package__site", "package__customer"),
        pk=acceptance_id,
        package_id=package_id,
    )
    # Who did each task: read through the app registry (invoicing does not import scheduling).
    appointment = apps.get_model("scheduling", "Appointment")
    performers = dict(
        appointment.objects.filter(task__package_id=package_id)
        .exclude(status="cancelled")
        .values_list("task_id", "workshop__name")
    )
    filename, mimetype, content = render_protocol(acceptance, performers)
    response = HttpResponse(content, content_type=mimetype)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
