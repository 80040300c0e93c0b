"""A police feed in a browser (issue 13): Joan, a supervisor, uploads a small CSV of a made-up
force's crimes to its source, lands on the import's page with the bar at 100%, reads the report
(two new rows, one rejected with its row and field but not its value, the case opened for the row
with a victim's contact) and rolls the import back with a reason. Then an import waits for the
feeds worker with its page open: the bar says it is waiting, the socket is live, and when the
worker has run it the page reaches 100% and shows the report without her reloading.

WebSockets are needed, so it runs against conftest's `daphne` (see test_console.py). The feeds
worker of the second part is this test process (Celery is eager in tests): on the real run its
events reach daphne's socket through Redis; on the embedded run the page's own checks of the
progress URL find the batch done."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from cases.models import Case
from feeds.engine import run_batch
from feeds.models import FeedRecord, FeedSource, ImportBatch
from feeds.services import start_import
from tests.e2e.canaries import ABUSER, PLACE, VICTIM_NAME, VICTIM_PHONE
from tests.e2e.helpers import csp_violations, submit_password, totp_code
from tests.factories import OrganisationFactory, StaffFactory
from tests.launchers import LaunchedDaphne

PROFILE = {
    "format": "csv",
    "columns": {
        "crime_reference": "Crime ID",
        "month": "Month",
        "force": "Falls within",
        "category": "Crime type",
        "location": "Location",
        "victim_name": "Victim name",
        "victim_phone": "Victim phone",
    },
}
BAD_MONTH = "2026-13"
CSV = "\n".join(
    [
        "Crime ID,Month,Falls within,Crime type,Location,Victim name,Victim phone",
        f"E2E-1,2026-10,Made-up Police,Burglary,On or near {PLACE},{VICTIM_NAME},{VICTIM_PHONE}",
        f"E2E-2,{BAD_MONTH},Made-up Police,Burglary,On or near {PLACE},,",
        "E2E-3,2026-10,Made-up Police,Other theft,On or near Ash Close,,",
        "",
    ]
).encode()
BAD_REQUEST = "Failed to load resource: the server responded with a status of 400 (Bad Request)"
REASON = f"Made-up: the {ABUSER} export was for the wrong month"


@pytest.fixture
def signed_in(browser: Browser, daphne: LaunchedDaphne) -> Iterator[tuple[Page, list[str], User]]:
    helpline = OrganisationFactory(slug="north-helpline", name="North Helpline")
    joan = StaffFactory(username="joan", organisation=helpline, role=User.Role.SUPERVISOR)
    FeedSource.objects.create(
        slug="made-up-police", name="Made-up Police", helpline=helpline, profile=PROFILE
    )
    context = browser.new_context(base_url=daphne.base_url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    submit_password(tab, joan.username)
    tab.fill("[name='token-otp_token']", totp_code(TOTPDevice.objects.get(user=joan).bin_key))
    tab.press("[name='token-otp_token']", "Enter")
    expect(tab.get_by_role("button", name="Sign out")).to_be_visible()
    yield tab, errors, joan
    context.close()


def test_a_supervisor_uploads_reads_the_report_and_rolls_it_back(signed_in) -> None:  # type: ignore[no-untyped-def]
    tab, errors, joan = signed_in

    # Joan finds the source and uploads the file, for real this time.
    tab.goto("/feeds/")
    tab.get_by_role("link", name="Made-up Police").click()
    expect(tab.get_by_role("heading", name="Made-up Police")).to_be_visible()
    expect(tab.get_by_label(re.compile("Dry run first"))).to_be_checked()
    tab.locator("#id_file").set_input_files(
        {"name": "october.csv", "mimeType": "text/csv", "buffer": CSV}
    )
    tab.get_by_label(re.compile("Dry run first")).uncheck()
    tab.get_by_role("button", name="Upload").click()

    # The import's page: the bar full, the report below it.
    batch = ImportBatch.objects.get()
    expect(tab).to_have_url(re.compile(rf"/feeds/imports/{batch.pk}/$"))
    expect(tab.locator("#import-progress-text")).to_have_text("100%: all 3 rows read.")
    bar = tab.locator("#import-bar")
    expect(bar).to_have_attribute("value", "3")
    expect(bar).to_have_attribute("max", "3")
    counts = tab.locator("#import-counts")
    for name, value in [("rows", 3), ("new", 2), ("unchanged", 0), ("rejected", 1),
                        ("cases_opened", 1)]:  # fmt: skip
        expect(counts.locator(f"[data-count={name}]")).to_have_text(str(value))
    errors_table = tab.locator("#import-errors")
    expect(errors_table.locator("tbody tr")).to_have_count(1)
    expect(errors_table.locator("tbody tr td").nth(0)).to_have_text("3")
    expect(errors_table.locator("tbody tr td").nth(1)).to_have_text("month")
    expect(tab.locator("main")).not_to_contain_text(BAD_MONTH)
    expect(tab.locator("main")).not_to_contain_text(VICTIM_NAME)
    case = Case.objects.get()
    expect(tab.locator("#import-cases").get_by_role("link", name=case.number)).to_be_visible()
    expect(tab.get_by_role("link", name="Download all errors (CSV)")).to_be_visible()

    # She rolls it back: a reason is required.
    tab.get_by_role("button", name="Roll back this import").click()
    expect(tab.locator(".feed-rollback .is-invalid")).to_be_visible()
    assert ImportBatch.objects.get().status == "done"
    tab.get_by_label("Why is it rolled back?").fill(REASON)
    tab.get_by_role("button", name="Roll back this import").click()
    expect(tab.locator(".messages")).to_contain_text(f"Import {batch.pk} was rolled back.")
    expect(tab.locator("#import-status")).to_contain_text("Rolled back")
    expect(tab.get_by_role("button", name="Roll back this import")).to_have_count(0)
    batch.refresh_from_db()
    assert (batch.status, batch.rolled_back_by, batch.rollback_reason) == (
        "rolled_back", joan, REASON,
    )  # fmt: skip
    assert not FeedRecord.objects.exists()
    assert Case.objects.count() == 1  # a case once opened stays

    assert csp_violations(errors) == []
    # the one refusal she met: the rollback without a reason, answered 400 with the form again
    assert errors == [BAD_REQUEST], errors


def test_a_waiting_import_reaches_100_percent_without_a_reload(
    signed_in, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    tab, errors, joan = signed_in
    settings.FEED_FILES_DIR = tmp_path
    batch = start_import(
        source=FeedSource.objects.get(),
        upload=io.BytesIO(CSV),
        file_name="october.csv",
        actor=joan,
        origin=ImportBatch.Origin.UPLOAD,
        queue=False,  # the worker is this test, below
    )

    tab.goto(f"/feeds/imports/{batch.pk}/")
    expect(tab.locator("#import-progress-text")).to_have_text("Waiting for the import to start…")
    expect(tab.locator("#import-live")).to_have_text("Live")
    expect(tab.locator("#import-counts")).to_have_count(0)

    run_batch(batch.pk)

    expect(tab.locator("#import-counts")).to_be_visible(timeout=15_000)
    expect(tab.locator("#import-progress-text")).to_have_text("100%: all 3 rows read.")
    expect(tab.locator("#import-counts [data-count=new]")).to_have_text("2")
    expect(tab.locator("#import-status")).to_contain_text("Done")

    assert csp_violations(errors) == []
    assert errors == [], errors
