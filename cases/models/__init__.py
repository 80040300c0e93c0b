"""The case app's models: the core (cases, people, reports, notes, the access log), what is known
about people (contacts, references) and what a case carries besides (categories, flags, merges,
drafts), and teams, routing rules, places and crime-system updates."""

from cases.models.access import AccessLog, AuditCheckpoint, AuditPrunePermit
from cases.models.core import (
    Area,
    Case,
    CaseNote,
    CaseNumber,
    CasePerson,
    Category,
    DiscardReason,
    FollowUpKind,
    Language,
    Lookup,
    Person,
    PersonToken,
    PriorityTarget,
    Relationship,
    Report,
    RiskLevel,
    ServiceType,
)
from cases.models.people import ContactType, ExternalReference, PersonContact, ReferenceType
from cases.models.record import CaseCategory, CaseFlag, CaseMerge, Draft, Flag, PersonAlert
from cases.models.sealing import BreakGlass, CaseSeal
from cases.models.teams import ExternalEvent, Place, RoutingRule, Team

__all__ = [
    "AccessLog",
    "AuditCheckpoint",
    "AuditPrunePermit",
    "BreakGlass",
    "CaseSeal",
    "Area",
    "Case",
    "CaseCategory",
    "CaseFlag",
    "CaseMerge",
    "CaseNote",
    "CaseNumber",
    "CasePerson",
    "Category",
    "ContactType",
    "DiscardReason",
    "ExternalEvent",
    "Draft",
    "ExternalReference",
    "Flag",
    "FollowUpKind",
    "Language",
    "Lookup",
    "Person",
    "PersonAlert",
    "PersonContact",
    "PersonToken",
    "Place",
    "PriorityTarget",
    "ReferenceType",
    "Relationship",
    "Report",
    "RoutingRule",
    "RiskLevel",
    "ServiceType",
    "Team",
]
