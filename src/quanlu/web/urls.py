from django.contrib.auth import views as auth_views
from django.urls import path

from quanlu.org.forms import LoginForm
from quanlu.web import views

app_name = "web"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="web/login.html", authentication_form=LoginForm),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("cases/", views.case_list, name="cases"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/<str:case_id>/", views.case_detail, name="case"),
    path("cases/<str:case_id>/parties/", views.party_add, name="party_add"),
    path("cases/<str:case_id>/approvals/", views.approval_request, name="approval_request"),
    path("cases/<str:case_id>/advance/", views.case_advance, name="case_advance"),
    path("cases/<str:case_id>/application/", views.application_event, name="application_event"),
    path("cases/<str:case_id>/act-end/", views.act_end, name="act_end"),
    path("approvals/<str:approval_id>/decide/", views.approval_decide, name="approval_decide"),
    path("complaints/", views.complaint_list, name="complaints"),
    path("complaints/<str:complaint_id>/", views.complaint_detail, name="complaint"),
]
