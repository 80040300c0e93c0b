"""The canned replies offered for one case (notifications.canned): the case's helpline's and the
shared ones, one per shortcut in the victim's language where written, the placeholders filled,
and nothing that names an organisation for a victim who asked us not to name it."""

from __future__ import annotations

import pytest

from cases.models import Language
from notifications.canned import canned_replies, fill, placeholder_errors
from notifications.models import CannedReply
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def language() -> Language:
    return Language.objects.get_or_create(code="so", defaults={"label": "Somali"})[0]


@pytest.fixture
def amina(operator):
    operator.first_name = "Amina"
    operator.save()
    return operator


def _case(helpline, **person):
    case = CaseFactory(helpline=helpline)
    CasePersonFactory(case=case, person=PersonFactory(**person))
    return case


def _shortcuts(replies) -> list[str]:
    return [reply["shortcut"] for reply in replies]


def test_the_cases_helpline_and_shared_replies_only(amina, helpline, other_helpline) -> None:
    CannedReply.objects.create(helpline=helpline, shortcut="ours", title="Ours", text="Ours.")
    CannedReply.objects.create(helpline=None, shortcut="shared", title="Shared", text="All.")
    CannedReply.objects.create(helpline=other_helpline, shortcut="theirs", title="T", text="No.")
    case = _case(helpline)

    assert _shortcuts(canned_replies(case=case, operator=amina)) == ["ours", "shared"]


def test_the_victims_language_over_the_default_wording(amina, helpline, language) -> None:
    CannedReply.objects.create(shortcut="hello", title="Hello", text="Hello.")
    CannedReply.objects.create(shortcut="hello", language=language, title="Salaan", text="Salaan.")
    CannedReply.objects.create(shortcut="bye", title="Goodbye", text="Goodbye.")

    somali = canned_replies(case=_case(helpline, language=language), operator=amina)
    english = canned_replies(case=_case(helpline), operator=amina)

    assert [(r["shortcut"], r["text"]) for r in somali] == [
        ("bye", "Goodbye."),
        ("hello", "Salaan."),
    ]
    assert [(r["shortcut"], r["text"]) for r in english] == [
        ("bye", "Goodbye."),
        ("hello", "Hello."),
    ]


def test_the_helplines_own_wording_over_the_shared_one(amina, helpline, language) -> None:
    CannedReply.objects.create(shortcut="hours", title="Hours", text="Shared hours.")
    CannedReply.objects.create(helpline=helpline, shortcut="hours", title="H", text="Our hours.")
    # but a shared wording in their language beats the helpline's default one
    CannedReply.objects.create(shortcut="hours", language=language, title="Saacadaha", text="So.")

    assert canned_replies(case=_case(helpline), operator=amina)[0]["text"] == "Our hours."
    in_somali = canned_replies(case=_case(helpline, language=language), operator=amina)
    assert in_somali[0]["text"] == "So."


def test_retired_replies_are_not_offered(amina, helpline) -> None:
    CannedReply.objects.create(shortcut="old", title="Old", text="Old.", is_active=False)
    CannedReply.objects.create(shortcut="new", title="New", text="New.")

    assert _shortcuts(canned_replies(case=_case(helpline), operator=amina)) == ["new"]


def test_placeholders_are_filled_for_this_operator_and_case(amina, helpline) -> None:
    CannedReply.objects.create(
        shortcut="intro",
        title="Introduce yourself",
        text="Hi, I'm {operator_first_name}. Your reference is {case_ref}. {case_ref} again.",
    )
    case = _case(helpline)

    (reply,) = canned_replies(case=case, operator=amina)

    assert reply == {
        "shortcut": "intro",
        "title": "Introduce yourself",
        "text": f"Hi, I'm Amina. Your reference is {case.number}. {case.number} again.",
    }


def test_an_operator_without_a_first_name_sees_the_placeholder_not_their_username(operator):
    assert operator.first_name == ""
    text = fill("I'm {operator_first_name}.", operator=operator, case_number="X")
    assert text == "I'm {operator_first_name}."
    assert operator.username not in text


def test_placeholders_are_plain_text_never_formatted(amina) -> None:
    # str.format would read attributes of what it was given: only the two words are replaced
    assert fill("{case_ref.__class__} {0}", operator=amina, case_number="N") == (
        "{case_ref.__class__} {0}"
    )


def test_a_reply_naming_an_organisation_is_hidden_for_a_discreet_victim(
    amina, helpline, cso
) -> None:
    CannedReply.objects.create(shortcut="who", title="Who we are", text="This is North Helpline.")
    CannedReply.objects.create(shortcut="refuge", title="Refuge", text="Safe Haven can help you.")
    CannedReply.objects.create(shortcut="line", title="Call the helpline", text="Call us back.")
    CannedReply.objects.create(shortcut="safe", title="Safe now?", text="Are you safe to talk?")
    discreet = _case(helpline, contact_preferences={"contact": "allowed", "no_org_name": True})
    open_ = _case(helpline, contact_preferences={"contact": "allowed"})

    assert _shortcuts(canned_replies(case=discreet, operator=amina)) == ["safe"]
    assert _shortcuts(canned_replies(case=open_, operator=amina)) == [
        "line", "refuge", "safe", "who"
    ]  # fmt: skip


def test_a_case_without_a_victim_gets_the_default_wording(amina, helpline) -> None:
    CannedReply.objects.create(shortcut="hello", title="Hello", text="Hello.")
    case = CaseFactory(helpline=helpline)

    assert _shortcuts(canned_replies(case=case, operator=amina)) == ["hello"]


def test_the_query_keeps_shortcuts_starting_with_it_or_titles_holding_it(amina, helpline):
    CannedReply.objects.create(shortcut="welcome", title="Welcome", text="Hello.")
    CannedReply.objects.create(shortcut="well", title="Are you well", text="Well?")
    CannedReply.objects.create(shortcut="hours", title="Opening hours welcome", text="9-5.")
    CannedReply.objects.create(shortcut="bye", title="Goodbye", text="Bye.")
    case = _case(helpline)

    assert _shortcuts(canned_replies(case=case, operator=amina, query="wel")) == [
        "hours", "welcome", "well"
    ]  # fmt: skip
    assert _shortcuts(canned_replies(case=case, operator=amina, query="/WELL")) == ["well"]
    assert _shortcuts(canned_replies(case=case, operator=amina, query="zzz")) == []


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("Hi {operator_first_name}, ref {case_ref}.", []),
        ("Dear {victim_name}", ["{victim_name}"]),
        ("Ref {case_ref} at {address} and {phone}", ["{address}", "{phone}"]),
        ("{Case_Ref}", ["{Case_Ref}"]),
        ("{ case_ref }", ["{ case_ref }"]),
        ("{{case_ref}}", ['"{"', '"}"']),
        ("Half {case_ref", ['"{"']),
        ("{}", ["{}"]),
    ],
)
def test_only_the_two_placeholders_may_be_in_braces(text: str, wrong: list[str]) -> None:
    errors = placeholder_errors(text)
    for found in wrong:
        assert any(found in error for error in errors), (found, errors)
    assert bool(errors) == bool(wrong)
    if errors:
        assert "{operator_first_name}, {case_ref}" in errors[-1]
