from django.urls import path

from quanlu.devices import views

app_name = "devices"

urlpatterns = [
    path("devices/", views.device_list, name="devices"),
    path("devices/<str:device_id>/", views.device_detail, name="device"),
    path("devices/<str:device_id>/checkout/", views.device_checkout, name="checkout"),
    path("devices/<str:device_id>/return/", views.device_return, name="return"),
    path("devices/<str:device_id>/incident/", views.device_incident, name="incident"),
]
