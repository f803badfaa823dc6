from django.urls import path

from quanlu.supervision import views

app_name = "supervision"

urlpatterns = [path("", views.overview, name="overview")]
