"""Subject access pages (/privacy/subject-access/): for data-protection officers only
(privacy.export_subject_data; anyone else 403). Exporting and downloading need a fresh step-up
code (SECURITY DP-10): the permission is checked first, so nobody else is even asked for one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.step_up import step_up_required
from privacy import sar
from privacy.models import SubjectAccessRequest
from privacy.sar_forms import SubjectAccessRequestForm

PERMISSION = "privacy.export_subject_data"


def _require_dpo(request: HttpRequest) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied("Subject access requests are handled by data-protection officers.")


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@never_cache
@require_GET
def sar_list(request: HttpRequest) -> HttpResponse:
    _require_dpo(request)
    today = timezone.localdate()
    rows = [
        (item, item.status == SubjectAccessRequest.Status.OPEN and item.due_on < today)
        for item in SubjectAccessRequest.objects.all()
    ]
    return render(request, "privacy/sar/list.html", {"rows": rows})


@never_cache
@require_http_methods(["GET", "POST"])
def sar_new(request: HttpRequest) -> HttpResponse:
    _require_dpo(request)
    form = SubjectAccessRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            item = sar.open_subject_access_request(
                person_id=form.cleaned_data["person_id"],
                received_on=form.cleaned_data["received_on"],
                actor=request.user,
            )
        except sar.SubjectAccessError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Request {item.pk} recorded: due {item.due_on:%-d %B %Y}.")
            return redirect("privacy:sar-detail", item.pk)
    status = 400 if form.errors else 200
    return render(request, "privacy/sar/new.html", {"form": form}, status=status)


@never_cache
@require_GET
def sar_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_dpo(request)
    item = get_object_or_404(SubjectAccessRequest, pk=pk)
    today = timezone.localdate()
    overdue = item.status == SubjectAccessRequest.Status.OPEN and item.due_on < today
    return render(request, "privacy/sar/detail.html", {"item": item, "overdue": overdue})


@never_cache
@require_http_methods(["GET", "POST"])
def sar_export(request: HttpRequest, pk: int) -> HttpResponse:
    _require_dpo(request)
    return _export(request, pk)


@step_up_required
def _export(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(SubjectAccessRequest, pk=pk)
    if request.method == "POST":  # back from the step-up page it is a GET: show the button again
        try:
            sar.export_subject_access(request_id=item.pk, actor=request.user, ip=_ip(request))
        except sar.SubjectAccessError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Exported: download it below.")
    return redirect("privacy:sar-detail", item.pk)


@never_cache
@require_GET
def sar_download(request: HttpRequest, pk: int) -> HttpResponse:
    _require_dpo(request)
    return _download(request, pk)


@step_up_required
def _download(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(SubjectAccessRequest, pk=pk)
    try:
        chunks = sar.open_export(request_id=item.pk, actor=request.user, ip=_ip(request))
    except sar.SubjectAccessError as error:
        messages.error(request, str(error))
        return redirect("privacy:sar-detail", item.pk)
    response = StreamingHttpResponse(chunks, content_type="application/zip")
    # the request's number only: the name ends up in download folders and browser history
    response["Content-Disposition"] = f'attachment; filename="subject-access-{item.pk}.zip"'
    response["Cache-Control"] = "no-store"
    return response
