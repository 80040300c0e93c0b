"""A subject access export is removed once SAR_EXPORT_DAYS have passed (SECURITY DP-10): the
periodic job deletes the file, marks the request and writes a DeletionRecord with a count only."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from privacy.models import Category, DeletionRecord, SubjectAccessRequest
from privacy.sar import export_subject_access, open_subject_access_request
from privacy.sar_tasks import expire_subject_access_exports
from project import protected_files
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(helpline, dpo) -> SubjectAccessRequest:
    person = PersonFactory()
    CasePersonFactory(case=CaseFactory(helpline=helpline), person=person)
    request = open_subject_access_request(
        person_id=person.pk, received_on=timezone.localdate(), actor=dpo
    )
    export_subject_access(request_id=request.pk, actor=dpo)
    request.refresh_from_db()
    return request


def test_the_job_removes_the_file_once_expired(exported) -> None:
    # given
    name = exported.export_file
    later = timezone.now() + timedelta(days=settings.SAR_EXPORT_DAYS, minutes=1)
    # when
    with time_machine.travel(later, tick=False):
        removed = expire_subject_access_exports.delay().get()
    # then
    exported.refresh_from_db()
    assert removed == 1
    assert not protected_files.exists(name)
    assert (exported.export_file, exported.status) == ("", SubjectAccessRequest.Status.EXPIRED)
    record = DeletionRecord.objects.get()
    assert (record.cause, record.category, record.count) == (
        DeletionRecord.Cause.EXPIRY,
        Category.EXPORTS,
        1,
    )


def test_nothing_goes_before_the_expiry_and_a_second_run_is_a_no_op(exported) -> None:
    # given
    just_before = exported.expires_at - timedelta(minutes=1)
    # when
    with time_machine.travel(just_before, tick=False):
        early = expire_subject_access_exports()
    with time_machine.travel(exported.expires_at + timedelta(days=1), tick=False):
        first, second = expire_subject_access_exports(), expire_subject_access_exports()
    # then
    assert (early, first, second) == (0, 1, 0)
    assert DeletionRecord.objects.count() == 1


def test_a_file_already_gone_is_still_finished(exported) -> None:
    # given: a run that stopped after deleting the file but before saving the request
    protected_files.delete(exported.export_file)
    # when
    with time_machine.travel(exported.expires_at + timedelta(seconds=1), tick=False):
        removed = expire_subject_access_exports()
    # then
    exported.refresh_from_db()
    assert removed == 1
    assert exported.export_file == ""
