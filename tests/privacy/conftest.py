"""Fixtures shared by the data-protection tests."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import User
from accounts.step_up import SESSION_KEY


@pytest.fixture
def stepped_up_client(otp_client: Callable[[User], Client]) -> Callable[[User], Client]:
    """A client signed in with a verified second factor that has just passed the step-up
    re-authentication (accounts.step_up), as if the person had typed a fresh code now."""

    def make(user: User) -> Client:
        client = otp_client(user)
        session = client.session
        session[SESSION_KEY] = time.time()
        session.save()
        return client

    return make
