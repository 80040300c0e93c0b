"""Canned replies in a browser (UX.md 10, 11): the operator types `/` in the message box on the case
page, the list opens as an accessible listbox, she picks with the keyboard only, the reply's words
(filled for her and the case) take the place of `/shortcut`, and the message goes through the usual
flow, where safe contact still decides. Escape closes the list and leaves what she typed; at 320 px
the list fits the screen."""

from __future__ import annotations

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from accounts.models import User
from cases.models import Case
from notifications.models import CannedReply, Notification
from tests.e2e.canaries import VICTIM_EMAIL, VICTIM_NAME, VICTIM_PHONE
from tests.factories import (
    CaseFactory,
    CasePersonFactory,
    OrganisationFactory,
    PersonFactory,
    StaffFactory,
)

FIRST = VICTIM_NAME.split()[0]
WELCOME = "Hello, my name is {operator_first_name}. Your reference is {case_ref}."


def _world() -> tuple[User, Case]:
    helpline = OrganisationFactory(slug="north-helpline", name="North Helpline")
    amina = StaffFactory(username="amina", organisation=helpline, role=User.Role.OPERATOR)
    amina.first_name = "Amina"
    amina.save()
    case = CaseFactory(helpline=helpline, status=Case.Status.IN_TRIAGE, claimed_by=amina)
    # email is safe at any hour; texts are not
    preferences = {"contact": "allowed", "channels": ["email"], "email": VICTIM_EMAIL}
    victim = PersonFactory(name=VICTIM_NAME, phone=VICTIM_PHONE, contact_preferences=preferences)
    CasePersonFactory(case=case, person=victim)
    CannedReply.objects.create(shortcut="welcome", title="Welcome", text=WELCOME)
    CannedReply.objects.create(shortcut="well", title="Are you well", text="Are you well today?")
    CannedReply.objects.create(shortcut="hours", title="Opening hours", text="We answer 8 to 10.")
    return amina, case


def _keys(page: Page, keys: str) -> None:
    # one key at a time, as a person types (and nobody's data: the journey log ignores single keys)
    for key in keys:
        page.keyboard.press(key)


def test_an_operator_inserts_a_canned_reply_with_the_keyboard_and_sends_it(
    page: Page, log_in: Callable[[User], None]
) -> None:
    amina, case = _world()
    log_in(amina)
    page.goto(f"/cases/{case.number}/")
    box = page.locator("form.message-form textarea[name='text']")
    listbox = page.get_by_role("listbox", name="Canned replies")
    expect(box).to_have_attribute("aria-haspopup", "listbox")
    expect(box).to_have_attribute("aria-autocomplete", "list")
    expect(page.get_by_text("Type / and a few letters for a canned reply.")).to_be_visible()

    # "/" mid-word opens nothing; at the start of the box it opens the list, with the first active
    box.focus()
    box.press_sequentially(FIRST)
    _keys(page, "/")
    page.wait_for_timeout(400)
    expect(listbox).to_be_hidden()
    _keys(page, "Backspace")
    box.fill("")
    _keys(page, "/")
    expect(listbox).to_be_visible()
    options = listbox.get_by_role("option")
    expect(options).to_have_count(3)
    expect(page.get_by_role("status").filter(has_text="3 canned replies")).to_be_attached()

    # Escape closes it and leaves what was typed; focus never left the box
    _keys(page, "we")
    expect(options).to_have_count(2)  # filtered as she types: /welcome, /well
    page.keyboard.press("Escape")
    expect(listbox).to_be_hidden()
    expect(box).to_have_value("/we")
    expect(box).to_be_focused()
    expect(box).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    box.fill("")

    # After a space, later in the message: arrows move, Enter inserts in place of "/wel"
    box.press_sequentially(f"{FIRST}, ")
    _keys(page, "/wel")
    expect(options).to_have_count(2)
    first, second = options.nth(0), options.nth(1)
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id") or "")
    page.keyboard.press("ArrowDown")
    expect(second).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", second.get_attribute("id") or "")
    page.keyboard.press("ArrowDown")  # round to the top
    expect(first).to_have_attribute("aria-selected", "true")
    expect(first).to_contain_text("/welcome")
    page.keyboard.press("Enter")

    filled = f"Hello, my name is Amina. Your reference is {case.number}."
    expect(box).to_have_value(f"{FIRST}, {filled}")
    expect(listbox).to_be_hidden()
    expect(box).to_be_focused()
    expect(page.get_by_role("status").filter(has_text="Inserted /welcome")).to_be_attached()

    # Sent by text: safe contact says no (she said email only), as for any message
    page.get_by_label("Text message").check()
    page.locator("form.message-form input[name='confirm']").check()
    page.get_by_role("button", name="Send to the victim").click()
    expect(page).to_have_url(re.compile(rf"/cases/{case.number}/#messages$"))
    refused = Notification.objects.get(case=case)
    assert (refused.channel, refused.text) == ("sms", f"{FIRST}, {filled}")
    assert refused.status == Notification.Status.SUPPRESSED

    # By email, which she said is safe: it goes. This time picked by click from the list.
    box = page.locator("form.message-form textarea[name='text']")
    box.focus()
    box.press_sequentially(f"{FIRST} ")
    _keys(page, "/hou")
    expect(listbox.get_by_role("option")).to_have_count(1)
    listbox.get_by_role("option").filter(has_text="/hours").click()
    expect(box).to_have_value(f"{FIRST} We answer 8 to 10.")
    page.get_by_label("Email").check()
    page.locator("form.message-form input[name='confirm']").check()
    page.get_by_role("button", name="Send to the victim").click()
    expect(page).to_have_url(re.compile(rf"/cases/{case.number}/#messages$"))
    sent = Notification.objects.filter(case=case).latest("pk")
    assert (sent.channel, sent.text) == ("email", f"{FIRST} We answer 8 to 10.")
    assert sent.status != Notification.Status.SUPPRESSED


def test_the_list_fits_a_phone_and_nothing_matching_says_so(
    page: Page, log_in: Callable[[User], None]
) -> None:
    amina, case = _world()
    log_in(amina)
    page.set_viewport_size({"width": 320, "height": 640})  # signed in at desk size: the menu folds
    page.goto(f"/cases/{case.number}/")
    box = page.locator("form.message-form textarea[name='text']")
    box.focus()
    _keys(page, "/")
    listbox = page.get_by_role("listbox", name="Canned replies")
    expect(listbox.get_by_role("option")).to_have_count(3)
    width = page.evaluate("document.documentElement.clientWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width == 320  # no sideways scrolling
    right = listbox.evaluate("el => el.getBoundingClientRect().right")
    assert right <= 320
    for option in listbox.get_by_role("option").all():
        assert (option.bounding_box() or {"height": 0})["height"] >= 24  # WCAG 2.5.8 target

    _keys(page, "zq")
    expect(listbox).to_be_hidden()
    expect(page.get_by_role("status").filter(has_text="No canned reply for /zq.")).to_be_attached()
    page.keyboard.press("Enter")  # nothing to insert: a new line, as ever
    expect(box).to_have_value("/zq\n")
