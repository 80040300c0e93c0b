"""A partner's pages, for the supervisors and administrators of its helpline (feeds.policy): the
events it sent, unmatched first, each matched to a case by hand if need be, and the webhooks we
sent it with every try. No crime reference or case number travels in a URL."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cases.policy import visible_cases
from feeds import partners, webhooks
from feeds.models import DeliveryAttempt, PartnerDelivery, PartnerEvent, PartnerEventType
from feeds.policy import can_manage_feeds

PAGE_SIZE = 50


@never_cache
@require_GET
def partner_list(request: HttpRequest) -> HttpResponse:
    unmatched = Count("events", filter=Q(events__outcome=PartnerEvent.Outcome.UNMATCHED))
    failed = Count("deliveries", filter=Q(deliveries__status=PartnerDelivery.Status.FAILED))
    # counted apart: one query joining both would multiply each count by the other
    rows = partners.visible_partners(request.user)
    waiting = dict(rows.annotate(n=unmatched).values_list("pk", "n"))
    given_up = dict(rows.annotate(n=failed).values_list("pk", "n"))
    listed = [(partner, waiting[partner.pk], given_up[partner.pk]) for partner in rows]
    if not listed and not can_manage_feeds(request.user):
        raise Http404
    return render(request, "feeds/partners/list.html", {"partners": listed})


@never_cache
@require_GET
def events(request: HttpRequest, slug: str) -> HttpResponse:
    partner = partners.partner_of(request.user, slug)
    page = Paginator(partners.partner_events(request.user, partner), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    labels = dict(PartnerEventType.objects.values_list("code", "label"))
    for event in page.object_list:
        event.label = labels.get(event.type, event.type)
    unmatched = partner.events.filter(outcome=PartnerEvent.Outcome.UNMATCHED).count()
    return render(
        request,
        "feeds/partners/events.html",
        {
            "partner": partner,
            "page": page,
            "unmatched": unmatched,
            # reading a crime reference is reading about a case: not for administrators
            "show_references": request.user.has_perm("cases.view_case"),
        },
    )


@require_POST
def match_event(request: HttpRequest, slug: str, event_id: int) -> HttpResponse:
    partner = partners.partner_of(request.user, slug)
    event = get_object_or_404(partner.events, pk=event_id, case=None)
    try:
        case = partners.reconcile_event(
            event=event, case_number=request.POST.get("case", "")[:32], actor=request.user
        )
    except partners.PartnerError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The event is now on case {case.number}.")
    return redirect("partners:events", partner.slug)


@never_cache
@require_GET
def deliveries(request: HttpRequest, slug: str) -> HttpResponse:
    partner = partners.partner_of(request.user, slug)
    tries = Prefetch("tries", queryset=DeliveryAttempt.objects.order_by("at", "pk"))
    rows = partner.deliveries.select_related("case").prefetch_related(tries)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    seen = set(
        visible_cases(request.user)
        .filter(pk__in=[row.case_id for row in page.object_list if row.case_id])
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "feeds/partners/deliveries.html",
        {"partner": partner, "page": page, "visible_case_ids": seen},
    )


@require_POST
def retry_delivery(request: HttpRequest, slug: str, delivery_id: int) -> HttpResponse:
    partner = partners.partner_of(request.user, slug)
    delivery = get_object_or_404(partner.deliveries, pk=delivery_id)
    try:
        webhooks.retry_delivery(delivery=delivery, actor=request.user)
    except partners.PartnerError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The webhook will be sent again now.")
    return redirect("partners:deliveries", partner.slug)
