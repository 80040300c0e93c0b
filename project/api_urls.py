from __future__ import annotations

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from accounts.api import OrganisationListView
from cases import merge_api, team_api
from cases.api import CaseHistoryView, CaseViewSet, LookupsView
from dashboards.api import SnapshotView
from feeds import api_urls as feeds_api
from feeds import partner_api_urls as partner_api
from people import place_api_urls as places_api
from people.api import PersonView
from people.search import PersonSearchView
from project.schema import NotFoundView
from referrals import api as casework
from risk import api as risk
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
    path("cases/<str:number>/referrals/", casework.CaseReferralsView.as_view(), name="case-refer"),
    path("cases/<str:number>/services/", casework.ServicesView.as_view(), name="case-services"),
    path(
        "cases/<str:number>/follow-ups/", casework.FollowUpsView.as_view(), name="case-follow-ups"
    ),
    path("cases/<str:number>/notes/", casework.NotesView.as_view(), name="case-notes"),
    path("cases/<str:number>/resolve/", casework.ResolveView.as_view(), name="case-resolve"),
    path("cases/<str:number>/close/", casework.CloseView.as_view(), name="case-close"),
    path("cases/<str:number>/send-back/", casework.SendBackView.as_view(), name="case-send-back"),
    path("cases/<str:number>/reopen/", casework.ReopenView.as_view(), name="case-reopen"),
    path(
        "cases/<str:number>/duplicates/", merge_api.DuplicatesView.as_view(), name="case-duplicates"
    ),
    path("cases/<str:number>/merge/", merge_api.MergeView.as_view(), name="case-merge"),
    path("cases/<str:number>/unmerge/", merge_api.UnmergeView.as_view(), name="case-unmerge"),
    path(
        "cases/<str:number>/reports/<int:report_id>/move/",
        merge_api.MoveReportView.as_view(),
        name="case-report-move",
    ),
    path("referrals/", casework.ReferralListView.as_view(), name="referral-list"),
    path(
        "referrals/<int:referral_id>/accept/", casework.AcceptView.as_view(), name="referral-accept"
    ),
    path(
        "referrals/<int:referral_id>/decline/",
        casework.DeclineView.as_view(),
        name="referral-decline",
    ),
    path(
        "referrals/<int:referral_id>/withdraw/",
        casework.WithdrawView.as_view(),
        name="referral-withdraw",
    ),
    path(
        "follow-ups/<int:follow_up_id>/done/",
        casework.FollowUpDoneView.as_view(),
        name="follow-up-done",
    ),
    path("cases/<str:number>/risk/", risk.CaseRiskView.as_view(), name="case-risk"),
    path("cases/<str:number>/team/", team_api.CaseTeamView.as_view(), name="case-team"),
    path("risk/questionnaire/", risk.QuestionnaireView.as_view(), name="risk-questionnaire"),
    path("people/search/", PersonSearchView.as_view(), name="people-search"),
    path("people/<int:person_id>/", PersonView.as_view(), name="person"),
    path("lookups/", LookupsView.as_view(), name="lookups"),
    path("organisations/", OrganisationListView.as_view(), name="organisations"),
    path("reports/snapshot/", SnapshotView.as_view(), name="reports-snapshot"),
    *feeds_api.urlpatterns,
    *partner_api.urlpatterns,
    *places_api.urlpatterns,
    # Last: anything else under /api/v1/ ending in a slash is the API's JSON 404, not the HTML page
    # (a path without its slash still gets Django's redirect to this or the real one).
    re_path(r"^(?:.*/)?$", NotFoundView.as_view(), name="api-not-found"),
]
