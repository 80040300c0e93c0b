from __future__ import annotations

from django.urls import path

from feeds import views

app_name = "feeds"
urlpatterns = [
    path("", views.sources_page, name="sources"),
    path("imports/<int:batch_id>/", views.batch_page, name="batch"),
    path("imports/<int:batch_id>/progress/", views.batch_progress, name="progress"),
    path("imports/<int:batch_id>/errors.csv", views.errors_csv, name="errors-csv"),
    path("imports/<int:batch_id>/rollback/", views.rollback, name="rollback"),
    path("imports/<int:batch_id>/import/", views.import_for_real, name="import-for-real"),
    path("<slug:slug>/", views.source_page, name="source"),
    path("<slug:slug>/imports/", views.upload, name="upload"),
    path("<slug:slug>/template/", views.template_csv, name="template"),
]
