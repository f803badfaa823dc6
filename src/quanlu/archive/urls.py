from django.urls import path

from quanlu.archive import views

app_name = "archive"

urlpatterns = [
    path("archive/", views.index, name="index"),
    path("archive/settings/", views.settings_page, name="settings"),
    path("archive/cases/<str:case_id>/", views.case_dossier, name="case"),
    path("archive/cases/<str:case_id>/assemble/", views.assemble, name="assemble"),
    path("archive/cases/<str:case_id>/holds/", views.hold_place, name="hold_place"),
    path("archive/holds/<str:hold_id>/release/", views.hold_release, name="hold_release"),
    path("archive/dossiers/<str:dossier_id>/seal/", views.seal, name="seal"),
    path("archive/dossiers/<str:dossier_id>/export/", views.export, name="export"),
    path("archive/exports/<str:export_id>/package.tar", views.package_download, name="package_download"),
    path("archive/dossiers/<str:dossier_id>/files/<int:position>/", views.item_content, name="item"),
    path(
        "archive/dossiers/<str:dossier_id>/dispositions/",
        views.disposition_request,
        name="disposition_request",
    ),
    path(
        "archive/dispositions/<str:request_id>/decide/", views.disposition_decide, name="disposition_decide"
    ),
    path(
        "archive/dispositions/<str:request_id>/execute/",
        views.disposition_execute,
        name="disposition_execute",
    ),
]
