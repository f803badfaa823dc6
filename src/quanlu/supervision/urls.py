from django.urls import path

from quanlu.supervision import dashboard_views, views

app_name = "supervision"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/report.pdf", dashboard_views.dashboard_pdf, name="dashboard_pdf"),
    path("dashboard/<slug:panel>.xlsx", dashboard_views.dashboard_xlsx, name="dashboard_xlsx"),
    path("orders/", views.orders, name="orders"),
    path("orders/<str:order_id>/", views.order, name="order"),
    path("filings/", views.filings, name="filings"),
    path("liability/", views.liability_cases, name="liability"),
    path("liability/<str:case_id>/", views.liability_case, name="liability_case"),
    path("filings/<str:filing_id>/decision/", views.filing_decide, name="filing_decide"),
]
