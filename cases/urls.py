from __future__ import annotations

from django.urls import path

from cases import exports, views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("<str:number>/", views.case_detail, name="detail"),
    path("<str:number>/print/", exports.case_print, name="print"),
]
