"""Made-up people and organisations for tests. Phone numbers are from Ofcom's drama range."""

from __future__ import annotations

import factory
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from factory.django import DjangoModelFactory

from accounts.models import Organisation, User
from accounts.services import set_role
from cases.models import Case, CasePerson, Category, Person, Report
from cases.numbering import allocate_case_number
from referrals.models import Referral

TEST_PASSWORD = "correct horse battery staple"


class OrganisationFactory(DjangoModelFactory[Organisation]):
    class Meta:
        model = Organisation

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.HELPLINE


class StaffFactory(DjangoModelFactory[User]):
    """A member of staff with a role (and its group) and a confirmed TOTP device."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@lantern.invalid")
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if create:
            set_role(user=self, role=extracted or User.Role.OPERATOR)

    @factory.post_generation
    def device(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            TOTPDevice.objects.create(user=self, name="default", confirmed=True)


class CaseFactory(DjangoModelFactory[Case]):
    class Meta:
        model = Case

    helpline = factory.SubFactory(OrganisationFactory)
    number = factory.LazyFunction(lambda: allocate_case_number(timezone.now()))
    channel = Case.Channel.SMS
    status = Case.Status.NEW


class ReportFactory(DjangoModelFactory[Report]):
    class Meta:
        model = Report

    case = factory.SubFactory(CaseFactory)
    channel = factory.SelfAttribute("case.channel")
    source_id = factory.Sequence(lambda n: f"SM{n:032d}")
    sender = "+447700900123"
    body = "I need help. This is made-up test text."


class PersonFactory(DjangoModelFactory[Person]):
    class Meta:
        model = Person

    name = factory.Sequence(lambda n: f"Testperson Number{n}")
    phone = "+447700900456"


class CasePersonFactory(DjangoModelFactory[CasePerson]):
    class Meta:
        model = CasePerson

    case = factory.SubFactory(CaseFactory)
    person = factory.SubFactory(PersonFactory)
    role = CasePerson.Role.VICTIM


class ReferralFactory(DjangoModelFactory[Referral]):
    class Meta:
        model = Referral

    case = factory.SubFactory(CaseFactory)
    organisation = factory.SubFactory(OrganisationFactory, kind=Organisation.Kind.CSO)
    status = Referral.Status.ACCEPTED
    consent = True
    referred_by = factory.SubFactory(StaffFactory)
    referred_by_organisation = factory.SelfAttribute("referred_by.organisation")


def category(code: str = "physical") -> Category:
    return Category.objects.get(code=code)
