from django.urls import include, path

from quanlu.api.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("quanlu.archive.urls")),
    path("", include("quanlu.media.urls")),
    path("", include("quanlu.devices.urls")),
    path("", include("quanlu.records.urls")),
    path("", include("quanlu.field.urls")),
    path("", include("quanlu.rulebooks.urls")),
    path("supervision/", include("quanlu.supervision.urls")),
    path("file-reviews/", include("quanlu.file_review.urls")),
    path("", include("quanlu.org.urls")),
    path("", include("quanlu.web.urls")),
]

# JSON under /api/, HTML pages elsewhere (quanlu.core.errorviews).
handler400 = "quanlu.core.errorviews.bad_request"
handler403 = "quanlu.core.errorviews.permission_denied"
handler404 = "quanlu.core.errorviews.page_not_found"
handler500 = "quanlu.core.errorviews.server_error"
