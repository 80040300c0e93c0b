from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.api import OrganisationListView
from cases.api import CaseHistoryView, CaseViewSet, LookupsView
from triage import api as triage

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="case")

urlpatterns = [
    path("cases/take-next/", triage.TakeNextView.as_view(), name="case-take-next"),
    *router.urls,
    path("cases/<str:number>/history/", CaseHistoryView.as_view(), name="case-history"),
    path("cases/<str:number>/claim/", triage.ClaimView.as_view(), name="case-claim"),
    path("cases/<str:number>/release/", triage.ReleaseView.as_view(), name="case-release"),
    path("cases/<str:number>/verify/", triage.VerifyView.as_view(), name="case-verify"),
    path("cases/<str:number>/discard/", triage.DiscardView.as_view(), name="case-discard"),
    path("cases/<str:number>/reinstate/", triage.ReinstateView.as_view(), name="case-reinstate"),
    path("cases/<str:number>/reassign/", triage.ReassignView.as_view(), name="case-reassign"),
    path("lookups/", LookupsView.as_view(), name="lookups"),
    path("organisations/", OrganisationListView.as_view(), name="organisations"),
]
