from django.urls import path

from quanlu.org import views

app_name = "org"

urlpatterns = [
    path("account/password/", views.password_change, name="password_change"),
    path("org/", views.settings_page, name="settings"),
    path("org/officers/", views.officer_list, name="officers"),
    path("org/officers/<str:officer_id>/", views.officer_detail, name="officer"),
    path("org/officers/<str:officer_id>/certificates/", views.certificate_add, name="certificate_add"),
    path(
        "org/officers/<str:officer_id>/certificates/status/",
        views.certificate_status,
        name="certificate_status",
    ),
    path("org/officers/<str:officer_id>/roles/grant/", views.role_grant, name="role_grant"),
    path("org/officers/<str:officer_id>/roles/revoke/", views.role_revoke, name="role_revoke"),
    path("org/officers/<str:officer_id>/deactivate/", views.officer_deactivate, name="deactivate"),
    path("org/officers/<str:officer_id>/password/", views.password_reset, name="password_reset"),
    path("org/officers/<str:officer_id>/unlock/", views.account_unlock, name="unlock"),
    path("org/agencies/", views.agency_list, name="agencies"),
    path("org/agencies/<str:agency_id>/", views.agency_detail, name="agency"),
    path("org/agencies/<str:agency_id>/move/", views.agency_move, name="agency_move"),
    path("org/tokens/", views.token_list, name="tokens"),
    path("org/tokens/<str:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("org/import/", views.import_page, name="import"),
    path("org/export/", views.export, name="export"),
]
