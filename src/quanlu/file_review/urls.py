from django.urls import path

from quanlu.file_review import views

app_name = "file_review"

urlpatterns = [
    path("", views.campaigns, name="campaigns"),
    path("sheet/", views.sheet, name="sheet"),
    path("<str:campaign_id>/", views.campaign, name="campaign"),
    path("<str:campaign_id>/results/", views.results, name="results"),
    path("<str:campaign_id>/cases/<str:sample_id>/", views.scoring, name="scoring"),
]
