"""Snapshot reports and exports under /dashboards/reports/ (dashboards.reports)."""

from __future__ import annotations

from django.urls import path

from dashboards import report_views as views

app_name = "reports"
urlpatterns = [
    path("", views.snapshot_page, name="snapshot"),
    path("snapshot.pdf", views.snapshot_pdf, name="snapshot-pdf"),
    path("figures.csv", views.figures_csv, name="figures-csv"),
    path("figures.xlsx", views.figures_xlsx, name="figures-xlsx"),
    path("cases.csv", views.cases_csv, name="cases-csv"),
    path("cases.xlsx", views.cases_xlsx, name="cases-xlsx"),
    path("exports/<int:job_id>/", views.export_status, name="export-status"),
    path("exports/<int:job_id>/download/", views.export_download, name="export-download"),
]
