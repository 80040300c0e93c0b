"""Finding people without exposing them (issue 12 item 4): made-up names in several scripts and
spellings found through keyed tokens, each result saying why; phone numbers and references found
through blind indexes; only among the people this user may see; the case list and the person
search page and API built on it. No name below is a real person's."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from accounts.services import issue_api_token
from cases import people_search
from cases.models import (
    AccessLog,
    CasePerson,
    ContactType,
    ExternalReference,
    PersonContact,
    ReferenceType,
)
from cases.people_search import find_people
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def named(helpline):
    """A person with this name, the victim on a case of the helpline."""

    def make(name: str, **fields):
        link = CasePersonFactory(
            case=CaseFactory(helpline=helpline), person=PersonFactory(name=name, **fields)
        )
        return link.person

    return make


@pytest.fixture(params=["rare words", "common words"])
def ranking(request, monkeypatch) -> None:
    """Both ways of ranking: small tables have only rare words; a word shared by more than COMMON
    people ranks through the exact-match merge and the aggregate instead."""
    if request.param == "common words":
        monkeypatch.setattr(people_search, "COMMON", 0)


def found(user, q: str) -> dict[str, tuple[str, ...]]:
    return {match.person.name: match.reasons for match in find_people(user, q)}


@pytest.mark.parametrize(
    ("stored", "typed"),
    [
        ("María López", "Maria"),  # accents typed or not
        ("María López", "maria lopez"),
        ("John Walker", "Jon"),  # a spelling that sounds the same
        ("Мария Иванова", "Mariya Ivanova"),  # Cyrillic found by its transliteration
        ("Мария Иванова", "Maria Ivanova"),  # ... and by another spelling of it
        ("Muhammad Rahman", "Mohammed Rahman"),
        ("محمد حداد", "محمد"),  # Arabic script by Arabic script
        ("Zhāng Wěi", "Zhang Wei"),  # pinyin with or without tone marks
        ("Zhāng Wěi", "wei zhang"),  # in either order
        ("Siobhán Ní Dhomhnaill", "Siobhan"),
        ("Sarah Smith-Jones", "Jones"),  # a hyphenated surname by either half
        ("Sarah Smith-Jones", "Sarah Smith Jones"),
        ("Hannah Thompson", "Hannah Thompsen"),  # one wrong letter, by sound
        ("Łukasz Wójcik", "Lukasz Wojcik"),
        ("Ayşe Yılmaz", "Ayse Yilmaz"),
    ],
)
def test_a_name_is_found_however_it_is_spelt(named, operator, stored, typed, ranking) -> None:
    named(stored)
    named("Ottoline Brackenridge")  # someone else, never found by these

    results = found(operator, typed)

    assert list(results) == [stored]
    assert results[stored], "every result says why it matched"


def test_results_say_why_in_the_searchers_own_words(named, operator, ranking) -> None:
    named("María López")
    named("John Walker")

    assert found(operator, "Maria")["María López"] == ('name "maria" matches',)
    assert found(operator, "Jon")["John Walker"] == ('name sounds like "jon"',)
    assert found(operator, "Maria Lopes")["María López"] == (
        'name "maria" matches',
        'name sounds like "lopes"',
    )


def test_all_words_rank_first_then_exact_over_sound(named, operator, ranking) -> None:
    for name in ("John Brown", "Jon Smith", "John Smith", "Smith"):
        named(name)

    assert [m.person.name for m in find_people(operator, "John Smith")] == [
        "John Smith",  # both words exactly
        "Jon Smith",  # both words, one by sound
        "John Brown",  # one word, exactly (ties: the oldest person first)
        "Smith",
    ]


def test_a_word_most_people_share_brings_no_candidates_beside_a_rarer_one(
    named, operator, monkeypatch
) -> None:
    for name in ("Maria Quillmarsh", "Maria Lopez", "Maria Walker", "Ana Quillmarsh"):
        named(name)
    monkeypatch.setattr(people_search, "COMMON", 4)  # index entries: 6 of "maria", 4 of the other

    assert list(found(operator, "Maria Quillmarsh")) == ["Maria Quillmarsh", "Ana Quillmarsh"]
    assert len(found(operator, "Maria")) == 3  # alone, it brings them all
    assert len(found(operator, "Maria Xyzzy")) == 3  # beside a word nobody has, too
    # the first `limit` people every word matches exactly, straight from the index
    assert [m.person.name for m in find_people(operator, "Maria Lopez", limit=1)] == ["Maria Lopez"]


def test_only_people_on_cases_the_user_may_see_are_found(
    named, operator, other_operator, monitor, cso_rep, other_helpline
) -> None:
    named("Niamh Kelly")
    theirs = CasePersonFactory(
        case=CaseFactory(helpline=other_helpline), person=PersonFactory(name="Niamh Kelly")
    ).person

    assert [m.person for m in find_people(other_operator, "Niamh Kelly")] == [theirs]
    assert len(find_people(operator, "Niamh")) == 1
    assert find_people(monitor, "Niamh Kelly") == []  # no identities: nobody at all
    assert find_people(cso_rep, "Niamh Kelly") == []  # no referral: no case, no person


def test_a_phone_number_a_contact_and_references_are_found_exactly(named, operator) -> None:
    named("Aoife Byrne", phone="+447700900311")
    by_contact = named("Eoin Ryan")
    PersonContact.objects.create(
        person=by_contact, kind=ContactType.objects.get(code="mobile"), value="+447700900322"
    )
    by_reference = named("Pádraig Walsh")
    ExternalReference.objects.create(
        person=by_reference, kind=ReferenceType.objects.get(code="crime_number"), value="CR/55/2026"
    )
    on_case = named("Ciarán Murphy")
    ExternalReference.objects.create(
        case=on_case.cases.get().case,
        kind=ReferenceType.objects.get(code="marac_reference"),
        value="MRC-7781",
    )

    assert found(operator, "07700 900311") == {"Aoife Byrne": ("phone number matches",)}
    assert found(operator, "07700900322") == {"Eoin Ryan": ("mobile phone matches",)}
    assert found(operator, "cr/55/2026") == {"Pádraig Walsh": ("crime number matches",)}
    assert found(operator, "MRC-7781") == {
        "Ciarán Murphy": ("marac reference on their case matches",)
    }


def test_a_reference_on_another_helplines_case_finds_nobody(
    named, operator, other_helpline
) -> None:
    person = named("Róisín McCarthy")
    theirs = CaseFactory(helpline=other_helpline)
    CasePersonFactory(case=theirs, person=person)
    ExternalReference.objects.create(
        case=theirs, kind=ReferenceType.objects.get(code="crime_number"), value="XX-1"
    )

    assert find_people(operator, "XX-1") == []


# The case list's search, on the same tokens


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {issue_api_token(user=user)}")
    return client


def test_the_case_list_finds_cases_by_every_word_of_a_name_spelt_another_way(
    named, operator, monitor
) -> None:
    case = named("Katherine Wright").cases.get().case
    named("Katherine Hall")
    client = api(operator)

    def numbers(q: str, user_client=client) -> list[str]:
        answer = user_client.post("/api/v1/cases/search/", {"q": q}, format="json")
        return [c["number"] for c in answer.json()["results"]]

    assert numbers("Catherine Right") == [case.number]
    assert numbers("katherine wright") == [case.number]
    assert numbers(case.number) == [case.number]
    assert numbers("Catherine Wright", api(monitor)) == []  # monitors: numbers only


def test_the_case_list_finds_a_case_by_its_reference_and_says_why(
    named, operator, otp_client
) -> None:
    link = named("Zofia Nowak").cases.get()
    ExternalReference.objects.create(
        case=link.case, kind=ReferenceType.objects.get(code="crime_number"), value="AB/1234/26"
    )
    client = otp_client(operator)

    page = client.get(client.post("/cases/", {"q": "ab/1234/26"})["Location"]).content.decode()

    assert re.findall(r'href="/cases/(LNT-\d{4}-\d+)/"', page) == [link.case.number]
    assert "Found by crime number matches" in page
    page = client.get(client.post("/cases/", {"q": "Sophia Nowack"})["Location"]).content.decode()
    assert "Found by victim: name sounds like &quot;sophia&quot;; victim: name sounds like" in page


# The person search page and API


def test_the_person_search_page_keeps_the_words_out_of_the_url(
    named, operator, otp_client, other_helpline
) -> None:
    person = named("Seán O'Sullivan")
    CasePersonFactory(
        case=CaseFactory(helpline=other_helpline), person=PersonFactory(name="Sean O'Sullivan")
    )
    client = otp_client(operator)

    posted = client.post("/people/search/", {"q": "Sean O Sulivan"})

    assert posted.status_code == 302
    assert "ulivan" not in posted["Location"]
    assert "search=" in posted["Location"]
    page = client.get(posted["Location"]).content.decode()
    assert f'href="/people/{person.pk}/"' in page
    assert page.count('href="/people/') == 1  # the other helpline's Sean is not there
    assert person.cases.get().case.number in page
    assert (
        "Found by name &quot;sean&quot; matches; name &quot;o&quot; matches; "
        "name sounds like &quot;sulivan&quot;"
    ) in page
    unposted = client.get("/people/search/", {"q": "Sean"}).content.decode()
    assert not re.search(r'href="/people/\d', unposted)  # words in a URL are never searched


def test_the_person_search_api_answers_who_why_and_which_cases(named, operator) -> None:
    person = named("Imogen Ashby")
    second = CaseFactory(helpline=person.cases.get().case.helpline)
    CasePerson.objects.create(case=second, person=person, role=CasePerson.Role.PERPETRATOR)

    answer = api(operator).post("/api/v1/people/search/", {"q": "Imogen Ashbey"}, format="json")

    assert answer.status_code == 200
    [only] = answer.json()
    assert only["id"] == person.pk
    assert only["name"] == "Imogen Ashby"
    assert only["matched"] == ['name "imogen" matches', 'name sounds like "ashbey"']
    assert sorted(only["cases"]) == sorted(link.case.number for link in person.cases.all())
    assert AccessLog.objects.filter(action="search", via="api", case=None).count() == 1


@pytest.mark.parametrize("payload", [{}, {"q": ""}, {"q": "x" * 201}, {"q": ["Imogen"]}])
def test_a_bad_person_search_is_a_400(operator, payload) -> None:
    answer = api(operator).post("/api/v1/people/search/", payload, format="json")
    assert answer.status_code == 400
    assert not AccessLog.objects.exists()


def test_staff_without_identities_have_no_person_search(monitor, otp_client) -> None:
    assert (
        api(monitor).post("/api/v1/people/search/", {"q": "Imogen"}, format="json").status_code
        == 404
    )
    assert otp_client(monitor).get("/people/search/").status_code == 404
