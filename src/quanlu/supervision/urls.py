from django.urls import path

from quanlu.supervision import views

app_name = "supervision"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("orders/", views.orders, name="orders"),
    path("orders/<str:order_id>/", views.order, name="order"),
]
