from django.urls import include, path

from quanlu.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("quanlu.archive.urls")),
    path("", include("quanlu.media.urls")),
    path("", include("quanlu.devices.urls")),
    path("", include("quanlu.records.urls")),
    path("", include("quanlu.rulebooks.urls")),
    path("supervision/", include("quanlu.supervision.urls")),
    path("", include("quanlu.web.urls")),
]
