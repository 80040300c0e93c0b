"""Subject access requests, under /privacy/subject-access/ (namespace privacy)."""

from django.urls import path

from privacy import sar_views

urlpatterns = [
    path("", sar_views.sar_list, name="sar-list"),
    path("new/", sar_views.sar_new, name="sar-new"),
    path("<int:pk>/", sar_views.sar_detail, name="sar-detail"),
    path("<int:pk>/export/", sar_views.sar_export, name="sar-export"),
    path("<int:pk>/download/", sar_views.sar_download, name="sar-download"),
]
