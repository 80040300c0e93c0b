"""The risk pages: the questionnaire form, the case page's risk box and the printed case file."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from cases.drafts import get_draft, save_draft
from cases.models import Case
from risk.forms import field_name
from risk.models import Assessment, Questionnaire
from risk.services import complete_assessment
from tests.factories import CaseFactory
from tests.risk.conftest import answers

pytestmark = pytest.mark.django_db


def form_data(questions, yes=0, **extra):
    data = {f"q{pk}": answer for pk, answer in answers(questions, yes).items()}
    return {**data, **extra}


def page(case: Case) -> str:
    return f"/cases/{case.number}/risk/"


def test_the_form_asks_every_question_by_section_and_saves_a_draft(
    case, operator, questions, otp_client
):
    answer = otp_client(operator).get(page(case))
    assert answer.status_code == 200
    html = answer.content.decode()
    assert 'data-draft="risk"' in html
    assert f'data-draft-case="{case.number}"' in html
    assert html.count('<legend class="h5">') == 5  # four sections and the judgement
    for question in questions:
        assert f'name="{field_name(question)}"' in html
    assert html.count('value="unknown"') == 27
    assert "js/risk.js" in html
    assert "<script>" not in html  # CSP: scripts are files


def test_completing_returns_to_the_case_with_the_marac_box(case, operator, questions, otp_client):
    client = otp_client(operator)
    answer = client.post(page(case), form_data(questions, 14, notes="Made-up note"))
    assert answer.status_code == 302
    assert answer["Location"] == f"/cases/{case.number}/#risk"
    html = client.get(answer["Location"]).content.decode()
    assert "Risk assessed: high risk (14 of 27). Consider a MARAC referral." in html
    assert "A referral to the MARAC" in html
    assert "14 of 27 yes" in html
    assert "by amina" in html
    assert "Answered yes (14)" in html
    assert "Made-up note" in html
    assert "Assess again" in html


def test_a_sent_assessment_discards_its_draft_and_a_refused_one_keeps_it(
    case, operator, questions, otp_client
):
    save_draft(user=operator, form="risk", case=case, fields={"notes": "Made-up draft"})
    client = otp_client(operator)
    assert (
        client.post(page(case), form_data(questions, 2, professional_judgement="on")).status_code
        == 400
    )
    assert get_draft(user=operator, form="risk", case=case) is not None
    assert client.post(page(case), form_data(questions, 2)).status_code == 302
    assert get_draft(user=operator, form="risk", case=case) is None


def test_missing_answers_show_each_question_and_store_nothing(
    case, operator, questions, otp_client
):
    data = form_data(questions, 3)
    del data[field_name(questions[0])], data[field_name(questions[9])]
    answer = otp_client(operator).post(page(case), data)
    assert answer.status_code == 400
    html = answer.content.decode()
    assert "There is a problem" in html
    assert f'href="#id_{field_name(questions[0])}_0"' in html
    assert f'href="#id_{field_name(questions[9])}_0"' in html
    # what was typed stays
    assert re.search(
        rf'value="yes"[^>]*name="{field_name(questions[1])}"|name="{field_name(questions[1])}"[^>]*value="yes"[^>]*checked',
        html,
    )
    assert not Assessment.objects.exists()


def test_professional_judgement_without_a_reason_is_400(case, operator, questions, otp_client):
    answer = otp_client(operator).post(
        page(case), form_data(questions, 0, professional_judgement="on", judgement_reason="")
    )
    assert answer.status_code == 400
    assert "Say why your professional judgement" in answer.content.decode()
    assert not Assessment.objects.exists()


def test_the_case_page_offers_to_assess_those_who_may(case, operator, monitor, otp_client):
    html = otp_client(operator).get(f"/cases/{case.number}/").content.decode()
    assert 'id="risk"' in html
    assert "Not assessed yet." in html
    assert "Assess risk" in html
    html = otp_client(monitor).get(f"/cases/{case.number}/").content.decode()
    assert "Not assessed yet." in html
    assert "Assess risk" not in html


def test_monitors_see_levels_and_dates_but_no_answers_notes_or_names(
    case, operator, monitor, questions, otp_client
):
    complete_assessment(
        case=case, actor=operator, answers=answers(questions, 2), notes="CANARY-RISK-NOTE"
    )
    complete_assessment(
        case=case, actor=operator, answers=answers(questions, 0), professional_judgement=True,
        judgement_reason="CANARY-RISK-REASON",
    )  # fmt: skip
    html = otp_client(monitor).get(f"/cases/{case.number}/").content.decode()
    assert "High risk" in html
    assert "Earlier assessments (1)" in html
    for secret in ("CANARY-RISK-NOTE", "CANARY-RISK-REASON", "Answered yes"):
        assert secret not in html


def test_monitors_and_outsiders_cannot_open_the_form(
    case, monitor, other_operator, questions, otp_client
):
    assert otp_client(monitor).get(page(case)).status_code == 403
    assert otp_client(monitor).post(page(case), form_data(questions, 14)).status_code == 403
    assert otp_client(other_operator).get(page(case)).status_code == 404
    assert otp_client(other_operator).post(page(case), form_data(questions, 14)).status_code == 404
    assert not Assessment.objects.exists()


def test_an_archived_case_refuses_with_409(helpline, operator, questions, otp_client):
    archived = CaseFactory(helpline=helpline, status=Case.Status.ARCHIVED)
    client = otp_client(operator)
    assert client.get(page(archived)).status_code == 403
    answer = client.post(page(archived), form_data(questions, 14))
    assert answer.status_code == 409
    assert "read, not changed" in answer.content.decode()
    assert not Assessment.objects.exists()
    html = client.get(f"/cases/{archived.number}/").content.decode()
    assert "Assess risk" not in html


def test_the_case_file_prints_the_latest_assessment(case, operator, questions, otp_client):
    complete_assessment(case=case, actor=operator, answers=answers(questions, 3))
    complete_assessment(case=case, actor=operator, answers=answers(questions, 15))
    answer = otp_client(operator).get(f"/cases/{case.number}/print/")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.content)).pages)
    assert "High risk, 15 of 27 yes" in text
    assert "by amina" in text


def test_without_a_questionnaire_in_use_the_page_says_so(
    case, operator, other_operator, otp_client
):
    Questionnaire.objects.update(is_active=False)
    assert otp_client(other_operator).get(page(case)).status_code == 404
    client = otp_client(operator)
    answer = client.get(page(case))
    assert answer.status_code == 302
    assert "No risk questionnaire is in use" in client.get(answer["Location"]).content.decode()
    assert client.post(page(case), {}).status_code == 302
    assert not Assessment.objects.exists()
