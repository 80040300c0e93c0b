"""Exports (UX 34-36, SECURITY BI-02, AV-08): figures as CSV and XLSX always suppressed, supervisors'
case lists, the PDF report, formula neutralising, permission and audit of every export, long case
lists built in the background, and no personal data or case numbers in figure exports."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from cases.models import Category
from dashboards.exports import csv_bytes, neutralise, xlsx_bytes
from dashboards.models import ExportJob, ExportLog
from dashboards.suppression import SECONDARY
from notifications.models import Notification
from tests.dashboards.reporting import CANARIES, NOW, PERIOD, Cast, at, make_cases
from tests.factories import CaseFactory, StaffFactory

pytestmark = pytest.mark.django_db
BASE = "/dashboards/reports/"
FIGURES = ["figures.csv", "figures.xlsx", "snapshot.pdf"]
CASE_LISTS = ["cases.csv", "cases.xlsx"]
KINDS = {
    "figures.csv": "figures_csv",
    "figures.xlsx": "figures_xlsx",
    "snapshot.pdf": "snapshot_pdf",
    "cases.csv": "cases_csv",
    "cases.xlsx": "cases_xlsx",
}
TRIGGERS = ["=", "+", "-", "@", "\t", "\r", "\0"]
QUERY = "created_after=2026-03-01&created_before=2026-03-16"


@pytest.fixture(autouse=True)
def _march() -> None:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def cast(helpline, other_helpline, cso, supervisor) -> Cast:
    return make_cases(helpline, other_helpline, cso, supervisor)


def export(client, name: str, query: str = QUERY):
    return client.post(f"{BASE}{name}?{query}")


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def read_xlsx(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def all_cells(workbook: openpyxl.Workbook) -> list:
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# Neutralising -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 7700", "'+44 7700"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("\0x", "'\0x"),
        ("   =cmd|' /C calc'!A0", "'   =cmd|' /C calc'!A0"),
        ("\u00a0=1", "'\u00a0=1"),
        ("Physical violence", "Physical violence"),
        ("<5", "<5"),
        ("a=b", "a=b"),
        (-2, -2),
        (7, 7),
        (None, None),
    ],
)
def test_neutralise(value, expected) -> None:
    assert neutralise(value) == expected


formula_like = st.builds(
    lambda spaces, trigger, rest: spaces + trigger + rest,
    st.text(alphabet=" ", max_size=3),
    st.sampled_from(TRIGGERS),
    st.text(max_size=30),
)


@given(st.lists(formula_like, min_size=1, max_size=5), st.lists(st.text(max_size=20), max_size=3))
def test_csv_cells_never_start_a_formula_and_round_trip(dangerous, harmless) -> None:
    rows = [dangerous, harmless]
    parsed = read_csv(csv_bytes(("a", "b"), rows))

    assert parsed[1] == [f"'{value}" for value in dangerous]  # RFC 4180 quoting round-trips
    assert parsed[2] == [neutralise(value) for value in harmless]


@settings(deadline=None)  # writes a workbook per example: a busy machine must not fail it
@given(st.lists(formula_like, min_size=1, max_size=5))
def test_xlsx_cells_are_never_formulas(dangerous) -> None:
    workbook = read_xlsx(xlsx_bytes([("Sheet", ("a",), [dangerous, [1, 2.5, None]])]))
    cells = all_cells(workbook)

    assert all(cell.data_type != "f" for cell in cells)
    # (control characters come back as Excel's _xHHHH_ escapes: compare the start only)
    written = [cell.value for cell in workbook.active[2]][: len(dangerous)]
    assert all(value.startswith("'") for value in written), written
    assert [cell.value for cell in workbook.active[3][:2]] == [1, 2.5]  # numbers stay numbers


def test_a_label_an_admin_typed_as_a_formula_is_exported_inert(
    cast, supervisor, otp_client
) -> None:
    Category.objects.filter(code="physical").update(label='=HYPERLINK("http://x.invalid","y")')
    client = otp_client(supervisor)

    rows = read_csv(export(client, "figures.csv").content)
    cases = read_csv(export(client, "cases.csv").content)
    workbook = read_xlsx(export(client, "cases.xlsx").content)

    assert ["Services given", "Counselling", "<5"] in rows
    assert any(row[4] == '\'=HYPERLINK("http://x.invalid","y")' for row in cases)
    assert all(cell.data_type != "f" for cell in all_cells(workbook))
    assert "'=HYPERLINK" in str([cell.value for cell in all_cells(workbook)])


# Figures ------------------------------------------------------------------------------------------


def test_figures_csv_is_suppressed_audited_and_named_without_data(cast, supervisor, otp_client):
    response = export(otp_client(supervisor), "figures.csv", QUERY + "&channel=sms")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == 'attachment; filename="lantern-figures-2026-03-20.csv"'
    )
    assert "no-store" in response["Cache-Control"]
    rows = read_csv(response.content)
    assert rows[0] == ["Figure", "Breakdown", "Value"]
    assert ["Report", "Generated by", "joan"] in rows
    assert ["Filter", "Channel", "sms"] in rows
    assert ["Incoming reports", "Total", "<5"] in rows  # 4 SMS cases, even for a supervisor
    assert ["Incoming reports by channel", "Phone", "0"] in rows  # zeros stay zeros
    assert ["Time to closure", "Median (hours)", ""] in rows  # one case: no median to share
    log = ExportLog.objects.get()
    assert (log.user, log.kind, log.action) == (supervisor, "figures_csv", "exported")
    assert log.filters == {**PERIOD, "channel": "sms"}
    assert log.row_count == len(rows) - 1 - 4 - 3  # less the header, report and filter rows


def test_figures_xlsx(cast, monitor, otp_client) -> None:
    response = export(otp_client(monitor), "figures.xlsx")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = read_xlsx(response.content)
    assert workbook.sheetnames == ["Figures", "About"]
    values = [[cell.value for cell in row] for row in workbook["Figures"].iter_rows()]
    assert ["Incoming reports", "Total", 8] in values
    assert ["Verified or discarded", "Discarded", "<5"] in values
    assert ExportLog.objects.get().kind == "figures_xlsx"


def test_figure_exports_carry_no_personal_data_nor_case_numbers(cast, supervisor, otp_client):
    client = otp_client(supervisor)
    texts = [
        export(client, "figures.csv").content.decode("utf-8-sig"),
        str([cell.value for cell in all_cells(read_xlsx(export(client, "figures.xlsx").content))]),
        pdf_text(export(client, "snapshot.pdf").content),
    ]
    numbers = [case.number for case in [*cast.a.values(), *cast.b.values()]]
    for text in texts:
        for secret in [*CANARIES, *numbers]:
            assert secret not in text
        assert not re.search(r"LNT-\d{4}-\d+", text)


def test_the_pdf_has_the_filters_the_footer_and_page_numbers(cast, monitor, otp_client) -> None:
    response = export(otp_client(monitor), "snapshot.pdf", QUERY + "&channel=sms&area=north")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="lantern-snapshot-2026-03-20.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(response.content)
    assert "Snapshot report" in text
    assert "Generated 20 March 2026, 12:00 GMT by mo" in text
    for words in ("Reported from", "2026-03-01", "Channel", "SMS", "Area", "North"):
        assert words in text
    assert "Confidential" in text
    assert "Page 1 of" in text
    assert "<5" in text
    assert ExportLog.objects.get().kind == "snapshot_pdf"


# Case lists ---------------------------------------------------------------------------------------


def test_a_supervisors_case_list_has_their_cases_and_no_personal_data(
    cast, supervisor, otp_client
) -> None:
    response = export(otp_client(supervisor), "cases.csv", QUERY + "&status=discarded")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="lantern-cases-2026-03-20.csv"'
    rows = read_csv(response.content)
    assert rows[0] == ["Case", "Received", "Status", "Channel", "Category", "Priority", "Area"]
    assert [row[0] for row in rows[1:]] == [cast.a["A2"].number, cast.a["A3"].number]
    assert rows[1][1:] == ["2026-03-02T11:00:00+00:00", "Discarded", "SMS", "", "Standard", ""]
    text = response.content.decode("utf-8-sig")
    assert all(secret not in text for secret in CANARIES)
    assert cast.b["B2"].number not in text  # another helpline's discarded case
    log = ExportLog.objects.get()
    assert (log.kind, log.row_count, log.filters) == (
        "cases_csv",
        2,
        {**PERIOD, "status": "discarded"},
    )


def test_case_list_xlsx(cast, supervisor, otp_client) -> None:
    response = export(otp_client(supervisor), "cases.xlsx")
    sheet = read_xlsx(response.content)["Cases"]
    numbers = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert numbers == [cast.a[name].number for name in ("A1", "A2", "A3", "A4", "A5", "A6")]


def test_monitors_get_figures_but_no_case_lists(cast, monitor, otp_client) -> None:
    client = otp_client(monitor)
    for name in CASE_LISTS:
        assert export(client, name).status_code == 403
    assert not ExportLog.objects.exists()


@pytest.mark.parametrize("name", FIGURES + CASE_LISTS)
@pytest.mark.parametrize("who", ["operator", "cso_rep", "admin_user"])
def test_others_are_refused_every_export(cast, name, who, request, otp_client) -> None:
    response = export(otp_client(request.getfixturevalue(who)), name)
    assert response.status_code == 403
    assert not ExportLog.objects.exists()


@pytest.mark.parametrize("name", FIGURES + CASE_LISTS)
def test_every_export_is_audited_with_its_filters(cast, supervisor, otp_client, name) -> None:
    response = export(otp_client(supervisor), name, QUERY + "&priority=standard&q=ignored")
    assert response.status_code == 200
    log = ExportLog.objects.get()
    assert (log.user, log.kind) == (supervisor, KINDS[name])
    assert log.filters == {**PERIOD, "priority": "standard"}  # only filters, nothing else


@pytest.mark.parametrize("name", FIGURES + CASE_LISTS)
def test_exports_are_posts(supervisor, otp_client, name) -> None:
    assert otp_client(supervisor).get(f"{BASE}{name}?{QUERY}").status_code == 405


def test_bad_filters_are_400(supervisor, otp_client) -> None:
    assert export(otp_client(supervisor), "figures.csv", "status=nonsense").status_code == 400
    assert not ExportLog.objects.exists()


# Background exports -------------------------------------------------------------------------------


def test_a_long_case_list_is_built_in_the_background(
    cast, supervisor, helpline, otp_client, settings, django_capture_on_commit_callbacks
) -> None:
    settings.EXPORT_ASYNC_ROWS = 5  # the supervisor's six cases are "long"
    client = otp_client(supervisor)

    with django_capture_on_commit_callbacks(execute=True):
        response = export(client, "cases.xlsx")

    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/dashboards/reports/exports/{job.pk}/"
    assert (job.owner, job.status, job.progress, job.row_count) == (supervisor, "done", 100, 6)
    assert job.filename == "lantern-cases-2026-03-20.xlsx"
    built = ExportLog.objects.get()
    assert (built.kind, built.action, built.job, built.filters) == (
        "cases_xlsx",
        "exported",
        job,
        PERIOD,
    )
    alert = Notification.objects.get(recipient=supervisor, kind="export.ready", channel="in_app")
    assert (alert.text, alert.case_number) == ("Your export is ready", "")

    page = client.get(response["Location"]).content.decode()
    assert f'href="/dashboards/reports/exports/{job.pk}/download/"' in page
    assert "hx-trigger" not in page  # finished: no more polling

    download = client.get(f"/dashboards/reports/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert "no-store" in download["Cache-Control"]
    assert download["Content-Disposition"] == f'attachment; filename="{job.filename}"'
    assert read_xlsx(download.content)["Cases"].max_row == 7
    fetched = ExportLog.objects.get(action="downloaded")
    assert (fetched.user, fetched.job, fetched.row_count) == (supervisor, job, 6)

    colleague = StaffFactory(organisation=helpline, role="supervisor")
    for url in (
        f"/dashboards/reports/exports/{job.pk}/",
        f"/dashboards/reports/exports/{job.pk}/download/",
    ):
        assert otp_client(colleague).get(url).status_code == 404


def test_progress_is_shown_and_polled_while_the_job_runs(supervisor, otp_client) -> None:
    job = ExportJob.objects.create(
        owner=supervisor, kind="cases_csv", status="running", progress=40
    )
    client = otp_client(supervisor)

    page = client.get(f"/dashboards/reports/exports/{job.pk}/").content.decode()
    assert '<progress id="export-progress" max="100" value="40">' in page
    assert "Refresh the page to check again." in page
    partial = client.get(f"/dashboards/reports/exports/{job.pk}/", HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert html.lstrip().startswith('<div id="export-status"')
    assert 'hx-trigger="every 2s"' in html
    assert client.get(f"/dashboards/reports/exports/{job.pk}/download/").status_code == 404
    listed = client.get(BASE).content.decode()  # the report page lists it too
    assert f'href="/dashboards/reports/exports/{job.pk}/"' in listed


def test_progress_is_written_as_rows_are(cast, supervisor, monkeypatch) -> None:
    from dashboards import jobs

    seen: list[int] = []
    original = jobs.ExportJob.objects.filter

    def spy(*args, **kwargs):
        rows = original(*args, **kwargs)
        update = rows.update

        def recording(**fields):
            if "progress" in fields:
                seen.append(fields["progress"])
            return update(**fields)

        rows.update = recording
        return rows

    monkeypatch.setattr(jobs, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(jobs.ExportJob.objects, "filter", spy)
    job = ExportJob.objects.create(owner=supervisor, kind="cases_csv", filters=PERIOD)
    jobs.build_case_list(job.pk)

    assert seen == [33, 66, 99]  # 2, 4 and 6 of 6 rows written
    job.refresh_from_db()
    assert (job.status, job.progress) == ("done", 100)


def test_a_third_concurrent_export_is_429(cast, supervisor, otp_client) -> None:
    for status in ("queued", "running"):
        ExportJob.objects.create(owner=supervisor, kind="cases_csv", status=status)
    client = otp_client(supervisor)

    for name in FIGURES + CASE_LISTS:
        assert export(client, name).status_code == 429
    assert not ExportLog.objects.exists()
    ExportJob.objects.filter(status="running").update(status="done")
    assert export(client, "figures.csv").status_code == 200


def test_a_job_whose_owner_lost_the_role_fails(cast, supervisor) -> None:
    from accounts.services import set_role
    from dashboards.jobs import build_case_list

    job = ExportJob.objects.create(owner=supervisor, kind="cases_csv", filters=PERIOD)
    set_role(user=supervisor, role="operator")
    build_case_list(job.pk)
    job.refresh_from_db()
    assert (job.status, job.content) == ("failed", None)
    assert not Notification.objects.filter(kind="export.ready").exists()


def test_expired_files_are_deleted(supervisor) -> None:
    from datetime import timedelta

    from dashboards.jobs import delete_expired

    old = ExportJob.objects.create(owner=supervisor, kind="cases_csv", status="done",
                                   expires_at=NOW - timedelta(minutes=1), content=b"x")  # fmt: skip
    kept = ExportJob.objects.create(owner=supervisor, kind="cases_csv", status="done",
                                    expires_at=NOW + timedelta(hours=1), content=b"x")  # fmt: skip
    dead = ExportJob.objects.create(owner=supervisor, kind="cases_csv", status="running",
                                    created_at=NOW - timedelta(hours=2))  # fmt: skip
    assert delete_expired() == 2
    assert list(ExportJob.objects.all()) == [kept]
    assert not ExportJob.objects.filter(pk__in=[old.pk, dead.pk]).exists()


def test_figure_files_withhold_what_a_total_would_give_away(helpline, supervisor, otp_client):
    for channel in ["sms"] * 6 + ["web"]:  # 7 - 6 SMS would give the one web form away
        CaseFactory(helpline=helpline, created_at=at(2, 10), channel=channel, status="verified")
    client = otp_client(supervisor)

    rows = read_csv(export(client, "figures.csv").content)
    workbook = read_xlsx(export(client, "figures.xlsx").content)
    text = pdf_text(export(client, "snapshot.pdf").content)

    assert ["Incoming reports", "Total", "7"] in rows
    assert ["Incoming reports by channel", "SMS", SECONDARY] in rows
    assert ["Incoming reports by channel", "Web form", "<5"] in rows
    values = [[cell.value for cell in row] for row in workbook["Figures"].iter_rows()]
    assert ["Incoming reports by channel", "SMS", SECONDARY] in values
    assert "SMS [c]" in text
    assert "marks a count withheld" in text
