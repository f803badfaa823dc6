from django.urls import path

from quanlu.media import uploads, views

# Web pages under /cases/<case>/media/ and /media/; streaming API endpoints
# (multipart, tus, content) under /api/v1/ beside the django-ninja routes.
app_name = "media"

urlpatterns = [
    path("cases/<str:case_id>/media/", views.case_media, name="case_media"),
    path("cases/<str:case_id>/media/upload/", views.case_media_upload, name="case_media_upload"),
    path("media/inbox/", views.inbox, name="inbox"),
    path("media/<str:record_id>/", views.record_detail, name="record"),
    path("media/<str:record_id>/content", views.record_content, name="content"),
    path("media/<str:record_id>/poster.jpg", views.record_poster, name="poster"),
    path("media/<str:record_id>/link/", views.record_link, name="link"),
    path("media/<str:record_id>/assign/", views.record_assign, name="assign"),
    path("media/gaps/<str:gap_id>/", views.gap_explain, name="gap"),
    path("media/documents/<str:document_id>/", views.document_list, name="document_list"),
    path("api/v1/media/tus/", uploads.tus_collection, name="tus"),
    path("api/v1/media/tus/<str:upload_id>", uploads.tus_upload, name="tus_upload"),
    path("api/v1/cases/<str:case_id>/media/upload", uploads.case_upload, name="api_upload"),
    path("api/v1/media/records/<str:record_id>/content", views.record_content, name="api_content"),
]
