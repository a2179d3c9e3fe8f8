"""The live stack's web server for the suite (``uvicorn tests.live_asgi:application``): the
project's ASGI app, forgetting Django's cached content types before each request.

The suite empties the database between tests, and the content types come back under new ids.
A server living through many tests would otherwise write audit log entries and access records
against ids that no longer exist. A deployment never sees its content types change."""

from zunft.asgi import application as project_application  # sets Django up


async def application(scope, receive, send):
    if scope["type"] in ("http", "websocket"):
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
    await project_application(scope, receive, send)
