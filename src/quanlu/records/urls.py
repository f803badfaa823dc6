from django.urls import path

from quanlu.records import views

app_name = "records"

urlpatterns = [
    path("cases/<str:case_id>/documents/new/", views.document_new, name="document_new"),
    path("cases/<str:case_id>/documents/upload/", views.document_upload, name="document_upload"),
    path("documents/<str:document_id>/", views.document_detail, name="document"),
    path("documents/<str:document_id>/file/", views.document_file, name="document_file"),
    path("documents/<str:document_id>/sign/", views.document_sign, name="document_sign"),
    path("documents/<str:document_id>/capture/", views.document_capture, name="document_capture"),
    path("documents/<str:document_id>/refuse/", views.document_refuse, name="document_refuse"),
    path("documents/<str:document_id>/void/", views.document_void, name="document_void"),
    path("documents/<str:document_id>/amend/", views.document_amend, name="document_amend"),
    path("refusals/<str:refusal_id>/attest/", views.refusal_attest, name="refusal_attest"),
]
