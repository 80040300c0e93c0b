"""The web pages every case role shares: the case list and a case's page."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from cases import selectors
from cases.filters import CaseFilter
from cases.policy import can_see_identities


@never_cache
def case_list(request: HttpRequest) -> HttpResponse:
    cases = selectors.list_cases(request.user, q=request.GET.get("q", ""))
    filterset = CaseFilter(request.GET, queryset=cases)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/case_list.html",
        {"filter": filterset, "page": page, "q": request.GET.get("q", "")},
    )


@never_cache
def case_detail(request: HttpRequest, number: str) -> HttpResponse:
    case = selectors.access_case(request.user, number, request=request)
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "identities": can_see_identities(request.user),
            "history": selectors.case_history(case),
            "earlier_cases": selectors.earlier_cases_from_same_number(request.user, case),
        },
    )
