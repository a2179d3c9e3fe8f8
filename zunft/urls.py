from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from zunft.api import api
from zunft.core.health import healthz
from zunft.core.views import home

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
urlpatterns += i18n_patterns(
    path("", home, name="home"),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)
if settings.DEBUG:
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))
