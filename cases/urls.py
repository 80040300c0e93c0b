from __future__ import annotations

from django.urls import path

from cases import (
    change_views,
    drafts,
    exports,
    merge_views,
    reference_views,
    reveal,
    team_views,
    views,
)

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("drafts/<str:form>/", drafts.draft, name="draft"),
    path("people/<int:person_id>/reveal/", reveal.reveal_person, name="reveal-person"),
    path("<str:number>/", views.case_detail, name="detail"),
    path("<str:number>/print/", exports.case_print, name="print"),
    path("<str:number>/change/", change_views.change_details, name="change"),
    path("<str:number>/team/", team_views.move_team, name="move-team"),
    path("<str:number>/references/", reference_views.add_case_reference, name="add-reference"),
    path(
        "<str:number>/references/<int:reference_id>/remove/",
        reference_views.remove_case_reference,
        name="remove-reference",
    ),
    path("<str:number>/reveal/", reveal.reveal_on_case, name="reveal"),
    path("<str:number>/duplicates/", merge_views.duplicates, name="duplicates"),
    path("<str:number>/merge/", merge_views.merge, name="merge"),
    path("<str:number>/unmerge/", merge_views.unmerge, name="unmerge"),
    path("<str:number>/reports/<int:report_id>/move/", merge_views.move_report, name="move-report"),
]
