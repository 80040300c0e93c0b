"""The snapshot report page, its exports and the background exports' status and download. Thin: the
figures come from dashboards.reports, files from dashboards.exports, every write from jobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Organisation
from cases.models import Area, Case, Category, Flag, Language, RiskLevel
from cases.policy import can_export_case_list, can_view_figures
from dashboards import exports, jobs
from dashboards.charts import snapshot_charts
from dashboards.models import ExportJob, ExportKind, ExportLog
from dashboards.reports import (
    InvalidFiltersError,
    filtered_cases,
    report_filters,
    shareable_only,
    snapshot,
    suppress,
)
from dashboards.suppression import SECONDARY
from project.db_router import replica_reads
from project.pdf import pdf_response, render_pdf

View = Callable[..., HttpResponse]


def figures_viewer(view: View) -> View:
    """Only for those who may see figures (supervisors, monitors); anyone else 403."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_view_figures(request.user):
            raise PermissionDenied("Reports are for supervisors and monitors.")
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@never_cache
@require_GET
@figures_viewer
def snapshot_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    forced = shareable_only(user)
    shareable = forced or request.GET.get("shareable") == "1"
    context: dict[str, Any] = {
        "shareable": shareable,
        "shareable_forced": forced,
        "threshold": settings.SMALL_NUMBER_THRESHOLD,
        "withheld": SECONDARY,
        "options": _filter_options(),
        "may_export_cases": can_export_case_list(user),
        "query": request.GET.urlencode(),
        "jobs": ExportJob.objects.filter(owner=user)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .defer("content")
        .order_by("-created_at")[:5],
    }
    try:
        with replica_reads():  # figures may lag the primary by seconds
            figures = snapshot(user, request.GET)
    except InvalidFiltersError as error:
        context.update(errors=error.errors, values=report_filters(request.GET))
        return render(request, "reports/snapshot.html", context, status=400)
    shown = suppress(figures) if shareable else figures
    context.update(
        figures=shown,
        values=figures["filters"],
        summary=exports.filter_summary(figures["filters"]),
        chart_data=_chart_data(shown),
    )
    return render(request, "reports/snapshot.html", context)


# Exports ------------------------------------------------------------------------------------------


def _export(view: View) -> View:
    """POST only; whoever may see figures; refused with 429 while the person's cap of exports is
    being built; 400 for filters that do not parse."""

    @never_cache
    @require_POST
    @figures_viewer
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            jobs.check_capacity(request.user)
            return view(request, *args, **kwargs)
        except jobs.TooManyExportsError:
            return render(request, "reports/too_many_exports.html", status=429)
        except InvalidFiltersError as error:
            return render(request, "reports/bad_filters.html", {"errors": error.errors}, status=400)

    wrapped.__name__ = view.__name__
    return wrapped


def _figures_file(request: HttpRequest, kind: str) -> HttpResponse:
    with replica_reads():
        figures = snapshot(request.user, request.GET)
    threshold = settings.SMALL_NUMBER_THRESHOLD
    rows = exports.figure_rows(suppress(figures, threshold))
    about = exports.about_rows(
        figures["filters"], generated_by=request.user.get_username(), threshold=threshold
    )
    if kind == ExportKind.FIGURES_XLSX:
        extension = "xlsx"
        content = exports.xlsx_bytes(
            [("Figures", exports.FIGURES_HEADER, rows), ("About", exports.FIGURES_HEADER, about)]
        )
    else:
        extension = "csv"
        content = exports.csv_bytes(exports.FIGURES_HEADER, [*about, *rows])
    jobs.log_export(user=request.user, kind=kind, filters=figures["filters"], row_count=len(rows))
    return _attachment(content, exports.filename("figures", extension), extension)


@_export
def figures_csv(request: HttpRequest) -> HttpResponse:
    return _figures_file(request, ExportKind.FIGURES_CSV)


@_export
def figures_xlsx(request: HttpRequest) -> HttpResponse:
    return _figures_file(request, ExportKind.FIGURES_XLSX)


def _case_list(request: HttpRequest, kind: str) -> HttpResponse:
    user = request.user
    if not can_export_case_list(user):
        raise PermissionDenied("Case lists are exported by supervisors.")
    filters = report_filters(request.GET)
    cases = filtered_cases(user, filters)
    total = cases.count()
    if total > settings.EXPORT_ASYNC_ROWS:
        job = jobs.queue_case_list(user=user, kind=kind, filters=filters)
        return redirect("reports:export-status", job_id=job.pk)
    content = jobs.encode(kind, exports.case_rows(cases))
    jobs.log_export(user=user, kind=kind, filters=filters, row_count=total)
    extension = "xlsx" if kind == ExportKind.CASES_XLSX else "csv"
    return _attachment(content, exports.filename("cases", extension), extension)


@_export
def cases_csv(request: HttpRequest) -> HttpResponse:
    return _case_list(request, ExportKind.CASES_CSV)


@_export
def cases_xlsx(request: HttpRequest) -> HttpResponse:
    return _case_list(request, ExportKind.CASES_XLSX)


@_export
def snapshot_pdf(request: HttpRequest) -> HttpResponse:
    """The report of exactly these filters, suppressed, with charts (UX 34)."""
    with replica_reads():
        figures = snapshot(request.user, request.GET)
    shared = suppress(figures)
    pdf = render_pdf(
        "reports/snapshot_print.html",
        {
            "figures": shared,
            "charts": snapshot_charts(shared),
            "summary": exports.filter_summary(figures["filters"]),
            "threshold": settings.SMALL_NUMBER_THRESHOLD,
            "withheld": SECONDARY,
            "generated_at": timezone.localtime(),
            "generated_by": request.user.get_username(),
        },
    )
    jobs.log_export(
        user=request.user,
        kind=ExportKind.SNAPSHOT_PDF,
        filters=figures["filters"],
        row_count=len(exports.figure_rows(shared)),
    )
    return pdf_response(pdf, exports.filename("snapshot", "pdf"))


# Background exports -------------------------------------------------------------------------------


@never_cache
@require_GET
def export_status(request: HttpRequest, job_id: int) -> HttpResponse:
    """The job's progress: the page, or for htmx's poll the status part alone."""
    job = get_object_or_404(ExportJob.objects.defer("content"), pk=job_id, owner=request.user)
    template = "reports/_export_status.html" if request.htmx else "reports/export_status.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job})


@never_cache
@require_GET
def export_download(request: HttpRequest, job_id: int) -> HttpResponse:
    """The built file, for its owner only (anyone else 404), while it is kept; audited."""
    job = get_object_or_404(
        ExportJob,
        pk=job_id,
        owner=request.user,
        status=ExportJob.Status.DONE,
        expires_at__gt=timezone.now(),
    )
    if not can_export_case_list(request.user):
        raise PermissionDenied("Case lists are exported by supervisors.")
    jobs.log_export(
        user=request.user,
        kind=job.kind,
        filters=job.filters,
        row_count=job.row_count,
        job=job,
        action=ExportLog.Action.DOWNLOADED,
    )
    extension = "xlsx" if job.kind == ExportKind.CASES_XLSX else "csv"
    return _attachment(bytes(job.content), job.filename, extension)


# Helpers ------------------------------------------------------------------------------------------


def _attachment(content: bytes, filename: str, extension: str) -> HttpResponse:
    """A download no browser or proxy keeps, named without personal data."""
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[extension])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _filter_options() -> dict[str, Any]:
    active = {"is_active": True}
    return {
        "statuses": Case.Status.choices,
        "channels": Case.Channel.choices,
        "priorities": Case.Priority.choices,
        "categories": Category.objects.filter(**active).values_list("code", "label"),
        "areas": Area.objects.filter(**active).values_list("code", "label"),
        # retired flags too: older cases carry them
        "flags": Flag.objects.values_list("code", "label"),
        "risk_levels": RiskLevel.choices,
        "languages": Language.objects.filter(**active).values_list("code", "label"),
        "organisations": Organisation.objects.filter(
            **active, kind__in=(Organisation.Kind.HELPLINE, Organisation.Kind.CSO)
        )
        .order_by("name")
        .values_list("slug", "name"),
    }


def _chart_data(figures: dict[str, Any]) -> dict[str, Any]:
    """What static/js/reports.js draws: labels and values, a suppressed value as null."""

    def series(entries: list[dict[str, Any]], label: str = "label") -> dict[str, list[Any]]:
        return {
            "labels": [entry[label] for entry in entries],
            "values": [
                entry["count"] if isinstance(entry["count"], int) else None for entry in entries
            ],
        }

    return {
        "by_day": series(figures["incoming"]["by_day"], label="day"),
        "by_channel": series(figures["incoming"]["by_channel"]),
        "triage": series(figures["triage"]),
        "referrals": series(figures["referrals"]),
        "services": series(figures["services"]),
    }
