"""The gazetteer's pages and API calls (people.place_views, people.place_api) and the forms that
match addresses to it: suggestions only by POST, to staff who see identities, ten at most and
rate-limited, with what was typed never logged; the place page and GET /api/v1/places/{uprn}/
list only the cases the user may see; "Change details" and the person page match an incident or
an address to a place with history; the admin. Every UPRN, address and postcode here is made up."""

from __future__ import annotations

import logging
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from cases.addresses import current_address, move_address
from cases.change_forms import ChangeForm, _raw, initial_for
from cases.models import Case, CasePerson, Place
from cases.places import search_text
from cases.policy import changeable_details
from tests.factories import CaseFactory, CasePersonFactory, PersonFactory, StaffFactory, category

pytestmark = pytest.mark.django_db

TYPED = "14 Wickmere"


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings) -> None:
    # each test counts look-ups from zero, whichever cache (Redis on the real parts) is set
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"place-suggest-{uuid.uuid4()}",
        }
    }


def place(uprn: str, address: str, postcode: str) -> Place:
    now = timezone.now()
    return Place.objects.create(
        uprn=uprn, address=address, postcode=postcode, search_text=search_text(address),
        created_at=now, updated_at=now,
    )  # fmt: skip


@pytest.fixture
def wickmere() -> Place:
    return place("930000000014", "Flat 3, 14 Wickmere Close, Testbury", "ZZ9 2CD")


@pytest.fixture
def case(helpline) -> Case:
    return CaseFactory(helpline=helpline, status=Case.Status.VERIFIED, category=category())


# Suggestions ------------------------------------------------------------------------------------


def test_the_page_suggests_by_post_and_never_logs_what_was_typed(
    operator, otp_client, wickmere, caplog
) -> None:
    client = otp_client(operator)

    with caplog.at_level(logging.DEBUG):
        answer = client.post("/places/suggest/", {"q": TYPED})

    assert answer.status_code == 200
    assert answer.json() == {
        "results": [{"uprn": "930000000014", "address": wickmere.address, "postcode": "ZZ9 2CD"}]
    }
    assert "Wickmere" not in caplog.text
    assert client.get("/places/suggest/", {"q": TYPED}).status_code == 405


def test_the_api_suggests_by_post_only(operator, otp_client, wickmere) -> None:
    client = otp_client(operator)

    answer = client.post(
        "/api/v1/places/suggest/", {"q": "zz9 2cd"}, content_type="application/json"
    )

    assert answer.status_code == 200
    assert [found["uprn"] for found in answer.json()] == ["930000000014"]
    assert client.get("/api/v1/places/suggest/").status_code == 405
    refused = client.post("/api/v1/places/suggest/", {"q": 14}, content_type="application/json")
    assert refused.status_code == 400


def test_at_most_ten_places_are_suggested(operator, otp_client) -> None:
    for number in range(1, 13):
        place(f"93100000{number:04d}", f"{number} Longrow Terrace, Testbury", "ZZ7 7GH")

    answer = otp_client(operator).post(
        "/api/v1/places/suggest/", {"q": "longrow"}, content_type="application/json"
    )

    assert len(answer.json()) == 10


def test_cso_staff_may_look_places_up_monitors_and_admins_may_not(
    cso_rep, monitor, admin_user, otp_client, wickmere
) -> None:
    assert otp_client(cso_rep).post("/places/suggest/", {"q": TYPED}).status_code == 200
    for user in (monitor, admin_user):
        client = otp_client(user)
        assert client.post("/places/suggest/", {"q": TYPED}).status_code == 404
        answer = client.post(
            "/api/v1/places/suggest/", {"q": TYPED}, content_type="application/json"
        )
        assert answer.status_code == 404


def test_look_ups_are_rate_limited_across_the_page_and_the_api(
    operator, otp_client, wickmere, monkeypatch
) -> None:
    monkeypatch.setattr("people.place_views.SUGGEST_RATE", "2/m")
    client = otp_client(operator)

    assert client.post("/places/suggest/", {"q": TYPED}).status_code == 200
    api = client.post("/api/v1/places/suggest/", {"q": TYPED}, content_type="application/json")
    assert api.status_code == 200
    assert client.post("/places/suggest/", {"q": TYPED}).status_code == 429
    api = client.post("/api/v1/places/suggest/", {"q": TYPED}, content_type="application/json")
    assert api.status_code == 429


# The place ------------------------------------------------------------------------------------


def test_the_place_page_lists_only_visible_cases(
    case, operator, other_helpline, otp_client, wickmere
) -> None:
    # given
    case.place = wickmere
    case.save(update_fields=["place"])
    theirs = CaseFactory(helpline=other_helpline, status=Case.Status.VERIFIED, place=wickmere)

    # when
    page = otp_client(operator).get(f"/places/{wickmere.uprn}/")

    # then
    assert page.status_code == 200
    text = page.content.decode()
    assert wickmere.address in text
    assert case.number in text
    assert theirs.number not in text
    assert "where it happened" in text


def test_the_api_gives_the_place_and_its_visible_cases(
    case, operator, other_helpline, otp_client, wickmere
) -> None:
    case.place = wickmere
    case.save(update_fields=["place"])
    CaseFactory(helpline=other_helpline, status=Case.Status.VERIFIED, place=wickmere)

    answer = otp_client(operator).get(f"/api/v1/places/{wickmere.uprn}/")

    assert answer.status_code == 200
    body = answer.json()
    assert (body["uprn"], body["postcode"], body["latitude"]) == (wickmere.uprn, "ZZ9 2CD", None)
    assert [(found["number"], found["incident"], found["address"]) for found in body["cases"]] == [
        (case.number, True, False)
    ]


def test_unknown_places_and_monitors_get_404(operator, monitor, otp_client, wickmere) -> None:
    assert otp_client(operator).get("/places/999999999999/").status_code == 404
    assert otp_client(operator).get("/api/v1/places/999999999999/").status_code == 404
    assert otp_client(monitor).get(f"/places/{wickmere.uprn}/").status_code == 404
    assert otp_client(monitor).get(f"/api/v1/places/{wickmere.uprn}/").status_code == 404


def test_the_case_page_links_its_place_for_those_who_see_where(
    case, operator, monitor, otp_client, wickmere
) -> None:
    case.place = wickmere
    case.save(update_fields=["place"])

    assert (
        f"/places/{wickmere.uprn}/"
        in otp_client(operator).get(f"/cases/{case.number}/").content.decode()
    )
    assert (
        f"/places/{wickmere.uprn}/"
        not in otp_client(monitor).get(f"/cases/{case.number}/").content.decode()
    )


# Matching on the forms --------------------------------------------------------------------------


def _change_data(case: Case, user, **typed: object) -> dict[str, list[str]]:
    """What "Change details" posts when `user` typed `typed` over the case as it was drawn."""
    case = Case.objects.get(pk=case.pk)
    form = ChangeForm(case=case, parts=changeable_details(user, case), initial=initial_for(case))
    data = {}
    for name in form.fields:
        data[name] = _raw(form[name].value())
        data[form.add_initial_prefix(name)] = _raw(form[name].value())
    return data | {name: _raw(value) for name, value in typed.items()}


def test_change_details_offers_suggestions_and_matches_the_incident(
    case, operator, otp_client, wickmere
) -> None:
    client = otp_client(operator)
    page = client.get(f"/cases/{case.number}/change/").content.decode()
    assert 'data-places-suggest="/places/suggest/"' in page
    assert "js/places.js" in page

    answer = client.post(
        f"/cases/{case.number}/change/",
        _change_data(case, operator, incident_place=wickmere.address,
                     incident_uprn=wickmere.uprn, reason="Caller said where"),
    )  # fmt: skip

    assert answer.status_code == 302
    case.refresh_from_db()
    assert case.place == wickmere
    assert case.incident_location == wickmere.address
    assert case.version == 3  # the location, then its match: one raise each
    assert case.history.latest().history_change_reason.endswith("Caller said where")


def test_an_unknown_uprn_on_change_details_stores_nothing(case, operator, otp_client) -> None:
    answer = otp_client(operator).post(
        f"/cases/{case.number}/change/",
        _change_data(case, operator, incident_place="Somewhere", incident_uprn="123",
                     reason="Caller said"),
    )  # fmt: skip

    assert answer.status_code == 400
    assert "No place in the gazetteer has that UPRN" in answer.content.decode()
    case.refresh_from_db()
    assert (case.place, case.incident_location, case.version) == (None, "", 1)


def test_the_victims_address_is_matched_on_change_details(
    case, operator, otp_client, wickmere
) -> None:
    link = CasePersonFactory(case=case, person=PersonFactory(), role=CasePerson.Role.VICTIM)
    move_address(link.person, "Flat 3, 14 Wickmere Close", operator, "Told us")

    answer = otp_client(operator).post(
        f"/cases/{case.number}/change/",
        _change_data(case, operator, victim_uprn=wickmere.uprn, reason="Checked the address"),
    )

    assert answer.status_code == 302
    address = current_address(link.person)
    assert address.place == wickmere
    assert address.history.latest().history_user == operator


def test_the_person_page_matches_an_address(
    case, operator, other_operator, otp_client, wickmere
) -> None:
    # given
    link = CasePersonFactory(case=case, person=PersonFactory(), role=CasePerson.Role.VICTIM)
    move_address(link.person, "Flat 3, 14 Wickmere Close", operator, "Told us")
    address = current_address(link.person)
    client = otp_client(operator)
    page = client.get(f"/people/{link.person.pk}/").content.decode()
    assert f"/places/addresses/{address.pk}/match/" in page
    url = f"/places/addresses/{address.pk}/match/"

    # when: a UPRN nobody has, then the place's
    refused = client.post(url, {"place-uprn": "42", "place-reason": "Checked"})
    matched = client.post(url, {"place-uprn": wickmere.uprn, "place-reason": "Checked"})

    # then
    assert refused.status_code == 400
    assert "No place in the gazetteer has that UPRN" in refused.content.decode()
    assert matched.status_code == 302
    address.refresh_from_db()
    assert address.place == wickmere
    assert address.history.latest().history_change_reason == ("Matched to a place: Checked")
    page = client.get(f"/people/{link.person.pk}/").content.decode()
    assert f"/places/{wickmere.uprn}/" in page
    # someone who cannot see the person cannot match their address either
    outsider = otp_client(other_operator).post(url, {"place-uprn": "", "place-reason": "No"})
    assert outsider.status_code == 404
    address.refresh_from_db()
    assert address.place == wickmere


# The admin --------------------------------------------------------------------------------------


def test_helpline_admins_find_and_correct_places_but_add_none(
    admin_user, cso, otp_client, wickmere
) -> None:
    # given: the permissions the admin role is to hold for places (accounts.roles)
    admin_user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="cases", codename__in=["view_place", "change_place"]
        )
    )
    client = otp_client(admin_user)

    # when
    listing = client.get("/admin/cases/place/", {"q": "zz92cd"}).content.decode()
    corrected = client.post(
        f"/admin/cases/place/{wickmere.pk}/change/",
        {"address": "Flat 3, 14 Wickmere Court, Testbury", "postcode": "zz9 2cd",
         "latitude": "", "longitude": "", "easting": "", "northing": ""},
    )  # fmt: skip

    # then
    assert wickmere.uprn in listing
    assert corrected.status_code == 302
    wickmere.refresh_from_db()
    assert wickmere.search_text == "flat 3 14 wickmere court testbury"
    assert wickmere.postcode == "ZZ9 2CD"
    assert client.get("/admin/cases/place/add/").status_code == 403
    assert client.post(f"/admin/cases/place/{wickmere.pk}/delete/").status_code == 403
    # a CSO's administrator, even holding the same permissions, does not reach the gazetteer
    cso_admin = StaffFactory(organisation=cso, role="admin")
    cso_admin.user_permissions.add(*admin_user.user_permissions.all())
    assert otp_client(cso_admin).get("/admin/cases/place/").status_code == 403
