from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import OrganisationListView
from cases.api import CaseHistoryView, CaseViewSet, LookupsView

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="case")

urlpatterns = [
    *router.urls,
    path("cases/<str:number>/history/", CaseHistoryView.as_view(), name="case-history"),
    path("lookups/", LookupsView.as_view(), name="lookups"),
    path("organisations/", OrganisationListView.as_view(), name="organisations"),
]
