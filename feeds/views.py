"""The feeds pages: the sources a supervisor or administrator may import into, a source's upload
form and batches, and a batch's page (live progress, then its reconciliation report, with
"Roll back" and, after a dry run, "Import for real"). Thin: feeds.policy decides who, feeds.services
does the work. A source or batch the user may not manage is a 404; the list itself is a 403 for
those who manage no feeds."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from cases.models import Case
from cases.policy import visible_cases
from feeds import files, policy
from feeds.forms import RollbackForm, UploadForm
from feeds.models import FeedSource, ImportBatch
from feeds.profiles import KINDS
from feeds.progress import ImportProgress, progress_event
from feeds.serializers import clean_file_name
from feeds.services import ImportRefused, rollback_batch, start_import

S = ImportBatch.Status
FINISHED = (S.DONE, S.FAILED, S.ROLLED_BACK)
BATCHES_SHOWN = 25
ERRORS_SHOWN = 50
CASES_SHOWN = 50


@never_cache
@require_GET
def sources_page(request: HttpRequest) -> HttpResponse:
    if not policy.can_manage_feeds(request.user):
        raise PermissionDenied("Police and partner feeds are for supervisors and administrators.")
    newest = ImportBatch.objects.filter(source=OuterRef("pk")).order_by("-created_at", "-pk")
    sources = list(
        policy.visible_sources(request.user).annotate(
            last_batch_id=Subquery(newest.values("pk")[:1])
        )
    )
    last = ImportBatch.objects.select_related("started_by").in_bulk(
        [source.last_batch_id for source in sources if source.last_batch_id]  # type: ignore[attr-defined]
    )
    rows = [(source, last.get(source.last_batch_id)) for source in sources]  # type: ignore[attr-defined]
    return render(request, "feeds/sources.html", {"rows": rows})


def _source_page(
    request: HttpRequest, source: FeedSource, *, form: UploadForm | None = None, status: int = 200
) -> HttpResponse:
    batches = source.batches.select_related("started_by")[:BATCHES_SHOWN]
    context = {
        "source": source,
        "form": form or UploadForm(source=source),
        "batches": batches,
        "columns": _columns(source),
        "template": str(source.profile.get("format", "")) in TEMPLATE_DELIMITERS,
    }
    return render(request, "feeds/source.html", context, status=status)


def _mapped(source: FeedSource) -> list[tuple[str, list[str]]]:
    """Each canonical field the profile reads and the source's names for its column, in the
    canonical fields' order (PostgreSQL keeps no order of a JSON object's keys)."""
    columns = source.profile.get("columns") or {}
    if not isinstance(columns, dict):
        return []
    order = {field: n for n, field in enumerate(KINDS.get(source.kind, ()))}
    fields = sorted(columns, key=lambda field: (order.get(field, len(order)), field))
    mapped = []
    for field in fields:
        names = columns[field] if isinstance(columns[field], list) else [columns[field]]
        mapped.append((field, [str(name) for name in names]))
    return mapped


def _columns(source: FeedSource) -> list[tuple[str, str]]:
    return [(field, " or ".join(names)) for field, names in _mapped(source)]


@never_cache
@require_GET
def source_page(request: HttpRequest, slug: str) -> HttpResponse:
    return _source_page(request, policy.source_of(request.user, slug))


# Formats whose template is a header row a spreadsheet can save (the others come from systems).
TEMPLATE_DELIMITERS = {"csv": ",", "tsv": "\t"}


@never_cache
@require_GET
def template_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The header row this source's profile reads (the first name given for each column), for a
    partner starting an export (UX 37). No rows: a template never holds data."""
    source = policy.source_of(request.user, slug)
    fmt = str(source.profile.get("format", ""))
    if fmt not in TEMPLATE_DELIMITERS:
        raise Http404("This source's files are not a text table.")
    delimiter = str(source.profile.get("delimiter") or TEMPLATE_DELIMITERS[fmt])
    names = [names[0] for _, names in _mapped(source) if names]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{source.slug}-template.{fmt}"'
    csv.writer(response, delimiter=delimiter, lineterminator="\r\n").writerow(names)
    return response


@never_cache
@require_POST
def upload(request: HttpRequest, slug: str) -> HttpResponse:
    source = policy.source_of(request.user, slug)
    form = UploadForm(request.POST, request.FILES, source=source)
    if not form.is_valid():
        return _source_page(request, source, form=form, status=400)
    file = form.cleaned_data["file"]
    try:
        batch = start_import(
            source=source,
            upload=file,
            file_name=clean_file_name(file.name),
            actor=request.user,
            dry_run=form.cleaned_data["dry_run"],
            origin=ImportBatch.Origin.UPLOAD,
        )
    except ImportRefused as refused:
        form.add_error("file", refused.message)
        return _source_page(request, source, form=form, status=400)
    _warn_if_imported_before(request, batch)
    return redirect("feeds:batch", batch_id=batch.pk)


def _warn_if_imported_before(request: HttpRequest, batch: ImportBatch) -> None:
    """The same bytes went into this source before: the rows will come out unchanged, which is
    safe, but usually means the wrong file was chosen (UX 39)."""
    earlier = (
        ImportBatch.objects.filter(
            source_id=batch.source_id, checksum=batch.checksum, status=S.DONE, dry_run=False
        )
        .exclude(pk=batch.pk)
        .order_by("-created_at")
        .first()
    )
    if earlier is not None:
        messages.warning(
            request,
            f"This file was imported into this source before (import {earlier.pk}, "
            f"{earlier.created_at:%d %b %Y %H:%M}): its rows will count as unchanged.",
        )


def _cases_opened(request: HttpRequest, batch: ImportBatch) -> QuerySet[Case]:
    """The cases the batch opened that this user may see (admins: none; the count is shown).
    Only one batch of a source writes at a time, so a case of the source's records opened while
    the batch ran is the batch's."""
    if batch.dry_run or batch.started_at is None:
        return Case.objects.none()
    window = Q(created_at__gte=batch.started_at)
    if batch.finished_at is not None:
        window &= Q(created_at__lte=batch.finished_at)
    return (
        visible_cases(request.user)
        .filter(window, feed_records__source_id=batch.source_id)
        .distinct()
        .order_by("number")
    )


def progress_bar(event: ImportProgress) -> dict[str, Any]:
    """The bar and its words, as static/js/feed-progress.js draws them from the same event. The
    engine learns the total only by reading every row: until then the bar has no end (no `max`)."""
    rows, done, status = event["counts"]["rows"], event["rows_done"], event["status"]
    if status in FINISHED:
        total = max(rows, done)
        return {
            "max": max(total, 1),
            "value": max(total, 1),
            "text": f"100%: all {total} rows read.",
        }
    if status == S.QUEUED:
        return {"max": None, "value": None, "text": "Waiting for the import to start…"}
    if rows > done:
        return {"max": rows, "value": done, "text": f"{done} of {rows} rows read."}
    return {"max": None, "value": None, "text": f"{done} rows read so far."}


def _batch_page(
    request: HttpRequest,
    batch: ImportBatch,
    *,
    rollback_form: RollbackForm | None = None,
    status: int = 200,
) -> HttpResponse:
    finished = batch.status in FINISHED
    context: dict[str, Any] = {
        "batch": batch,
        "source": batch.source,
        "finished": finished,
        "bar": progress_bar(progress_event(batch)),
    }
    if finished:
        context |= {
            "errors": batch.row_errors.all()[:ERRORS_SHOWN],
            "errors_kept": batch.row_errors.count(),
            "cases": _cases_opened(request, batch)[:CASES_SHOWN],
            "may_roll_back": not batch.dry_run and batch.status in (S.DONE, S.FAILED),
            "may_import": batch.dry_run and batch.status == S.DONE,
            "file_kept": _file_kept(batch),
            "rollback_form": rollback_form or RollbackForm(),
        }
    return render(request, "feeds/batch.html", context, status=status)


def _file_kept(batch: ImportBatch) -> bool:
    try:
        return files.path_of(batch.stored_file).is_file()
    except FileNotFoundError:  # no stored name (the file was discarded)
        return False


@never_cache
@require_GET
def batch_page(request: HttpRequest, batch_id: int) -> HttpResponse:
    return _batch_page(request, policy.batch_of(request.user, batch_id))


@never_cache
@require_GET
def batch_progress(request: HttpRequest, batch_id: int) -> JsonResponse:
    """Where the batch is, as the socket says it: for the page when the socket cannot connect."""
    return JsonResponse(progress_event(policy.batch_of(request.user, batch_id)))


@never_cache
@require_GET
def errors_csv(request: HttpRequest, batch_id: int) -> HttpResponse:
    """Every row error kept for the batch: row, field, message (never a value from the file)."""
    batch = policy.batch_of(request.user, batch_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-errors.csv"'
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerow(["row", "field", "message"])
    for row, field, message in batch.row_errors.values_list("row", "field", "message"):
        writer.writerow([row, _cell(field), _cell(message)])
    return response


def _cell(text: str) -> str:
    """A spreadsheet never reads a cell as a formula (the messages are ours, the field names the
    profile's, but an apostrophe costs nothing)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@never_cache
@require_POST
def rollback(request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = policy.batch_of(request.user, batch_id)
    form = RollbackForm(request.POST)
    if not form.is_valid():
        return _batch_page(request, batch, rollback_form=form, status=400)
    try:
        done = rollback_batch(batch=batch, actor=request.user, reason=form.cleaned_data["reason"])
    except ImportRefused as refused:
        form.add_error(None, refused.message)
        return _batch_page(request, batch, rollback_form=form, status=409)
    kept = len(getattr(done, "cases_kept", []))
    note = f" The {kept} case(s) it opened stay open." if kept else ""
    messages.success(request, f"Import {batch.pk} was rolled back.{note}")
    return redirect("feeds:batch", batch_id=batch.pk)


@never_cache
@require_POST
def import_for_real(request: HttpRequest, batch_id: int) -> HttpResponse:
    """After a dry run: import the very file it checked, as a new batch."""
    batch = policy.batch_of(request.user, batch_id)
    if not (batch.dry_run and batch.status == S.DONE):
        messages.error(request, "Only a finished dry run can be imported for real.")
        return redirect("feeds:batch", batch_id=batch.pk)
    try:
        handle = files.path_of(batch.stored_file).open("rb")
    except OSError:
        messages.error(
            request, "The checked file is no longer kept: choose it again to import it for real."
        )
        return redirect("feeds:source", slug=batch.source.slug)
    try:
        with handle:
            new = start_import(
                source=batch.source,
                upload=handle,
                file_name=batch.file_name,
                actor=request.user,
                origin=ImportBatch.Origin.UPLOAD,
            )
    except ImportRefused as refused:
        messages.error(request, refused.message)
        return redirect("feeds:batch", batch_id=batch.pk)
    return redirect("feeds:batch", batch_id=new.pk)
