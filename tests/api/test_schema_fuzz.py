"""The OpenAPI schema tells the truth (issue 11 item 14): schemathesis generates requests for every
operation served at /api/schema/, sends them to the app in-process (WSGI), as a supervisor and as an
operator, and fails on any server error, any status the schema does not list for that operation and
any answer that does not match the documented body. Path parameters are drawn mostly from cases,
referrals and follow-ups seeded in every state, so the requests reach the services and not only the
404 for an unknown number. A bounded, seeded run: the same requests every time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import Organisation, User
from accounts.services import issue_api_token
from cases.models import Case, CasePerson, FollowUpKind
from referrals.models import FollowUp, Referral
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    OrganisationFactory,
    ReferralFactory,
    ReportFactory,
    StaffFactory,
    category,
)

S = Case.Status
MAX_EXAMPLES = 12
SEED = 20261206

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]


def _seed(operator: User, supervisor: User, cso: Organisation) -> dict[str, list[Any]]:
    """Cases in every state the API can meet, referrals in every status, open follow-ups."""
    helpline = operator.organisation

    cases = {
        status: CaseFactory(helpline=helpline, status=status, category=category())
        for status in (
            S.NEW,
            S.IN_TRIAGE,
            S.VERIFIED,
            S.REFERRED,
            S.IN_SERVICE,
            S.RESOLVED,
            S.CLOSED,
            S.DISCARDED,
            S.ARCHIVED,
        )
    }
    cases[S.IN_TRIAGE].claimed_by = operator
    cases[S.IN_TRIAGE].save(update_fields=["claimed_by"])
    for case in cases.values():
        ReportFactory(case=case)
        CasePersonFactory(case=case, role=CasePerson.Role.VICTIM)
    referrals = [
        ReferralFactory(
            case=cases[case_status],
            organisation=cso,
            referred_by=operator,
            status=referral_status,
        )
        for case_status, referral_status in (
            (S.REFERRED, Referral.Status.PENDING),
            (S.IN_SERVICE, Referral.Status.ACCEPTED),
            (S.VERIFIED, Referral.Status.DECLINED),
            (S.RESOLVED, Referral.Status.COMPLETED),
        )
    ]
    kind = FollowUpKind.objects.filter(is_active=True).first()
    follow_ups = [
        FollowUp.objects.create(
            case=cases[status],
            organisation=helpline,
            kind=kind,
            due_at=timezone.now() + timedelta(days=1),
            assignee=user,
            created_by=user,
        )
        for status, user in ((S.VERIFIED, operator), (S.IN_SERVICE, supervisor))
    ]
    return {
        "number": [case.number for case in cases.values()],
        "referral_id": [referral.pk for referral in referrals],
        "follow_up_id": [follow_up.pk for follow_up in follow_ups],
    }


@pytest.fixture
def _connection_kept() -> Any:
    """Django closes the database connection when a request starts and finishes; the test's
    transaction lives on it, so while the app is called in-process it stays open (as Django's
    test client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=[User.Role.SUPERVISOR, User.Role.OPERATOR])
def acting(request, db, _connection_kept) -> tuple[str, dict[str, list[Any]]]:
    """The token of the role acting, and the records its paths are drawn from."""
    helpline = OrganisationFactory(slug="north-helpline", name="North Helpline")
    cso = OrganisationFactory(slug="safe-haven", name="Safe Haven", kind=Organisation.Kind.CSO)
    StaffFactory(username="chidi", organisation=cso, role=User.Role.CSO_REP)
    operator = StaffFactory(username="amina", organisation=helpline, role=User.Role.OPERATOR)
    supervisor = StaffFactory(username="joan", organisation=helpline, role=User.Role.SUPERVISOR)
    seeded = _seed(operator, supervisor, cso)
    user = supervisor if request.param == User.Role.SUPERVISOR else operator
    return issue_api_token(user=user), seeded


# The live schema, as /api/schema/ serves it (a public view: no database is needed to read it).
schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler())
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
SEEDED: dict[str, list[Any]] = {}


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
    # Mostly existing records, now and then whatever was generated (an unknown one: 404).
    if not path_parameters:
        return st.just(path_parameters)
    return st.fixed_dictionaries(
        {
            name: st.sampled_from([*SEEDED[name], value]) if name in SEEDED else st.just(value)
            for name, value in path_parameters.items()
        }
    )


@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
@hypothesis.seed(SEED)
def test_every_answer_is_documented(case, acting) -> None:
    token, seeded = acting
    SEEDED.clear()
    SEEDED.update(seeded)
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
