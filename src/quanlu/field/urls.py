from django.urls import path

from quanlu.field import views

app_name = "field"

urlpatterns = [
    path("field/", views.app, name="app"),
    path("field/sw.js", views.service_worker, name="sw"),
    path("field/manifest.webmanifest", views.manifest, name="manifest"),
    path("field/api/hello", views.api_hello, name="hello"),
    path("field/api/enroll", views.api_enroll, name="enroll"),
    path("field/api/cases", views.api_cases, name="cases"),
    path("field/api/takeout", views.api_takeout, name="takeout"),
    path("field/api/new-case", views.api_new_case, name="new_case"),
    path("field/api/sync", views.api_sync, name="sync"),
    path("field/devices/", views.devices, name="devices"),
    path("field/devices/<str:device_id>/revoke/", views.device_revoke, name="revoke"),
]
