from django.urls import path

from quanlu.rulebooks import views

app_name = "rulebooks"

urlpatterns = [
    path("cases/<str:case_id>/exemptions/", views.exemption_new, name="exemption_new"),
]
