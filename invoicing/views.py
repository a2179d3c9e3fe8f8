from django.http import HttpResponse

from invoicing.quote_pdf import render_quote
from jobs.api import visible_quote


def quote_pdf(request, quote_id: int):
    """The quote as a PDF, for whoever may see the quote."""
    filename, mimetype, content = render_quote(visible_quote(request, quote_id))
    response = HttpResponse(content, content_type=mimetype)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
