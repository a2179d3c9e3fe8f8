"""The invoicing router on an API of its own, so its tests do not depend on how zunft/api.py
mounts it."""

from django.urls import path
from ninja import NinjaAPI

from invoicing.api import router
from zunft.core.errors import install_error_handlers

api = NinjaAPI(title="Zunft invoicing (tests)", version="test", urls_namespace="invoicing-test")
install_error_handlers(api)
api.add_router("/v1/", router)

urlpatterns = [path("api/", api.urls)]
