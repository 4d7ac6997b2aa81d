"""SQLAlchemy models, one module per aggregate."""

from app.models.action import Action, ActionChange
from app.models.audit import AuditEvent
from app.models.base import Base, UTCDateTime, utcnow
from app.models.campaign import Campaign
from app.models.identity import IdentityProvider, UserIdentity
from app.models.organization import (
    DEFAULT_ROLES,
    DEPARTMENT_ORDER,
    ENGLISH,
    INDUSTRIES,
    NAME_LENGTH,
    SIZE_BANDS,
    Department,
    Named,
    Organization,
    Role,
    display_name,
    lacks_english,
    name_labels,
    pick_name,
    role_label,
    role_labels,
)
from app.models.outcome import OutcomeRecord
from app.models.participant import Participant, ParticipantLink
from app.models.participant_import import ParticipantImport
from app.models.profile import ProfileAnswer
from app.models.report_job import ReportJob
from app.models.response import Answer, Response
from app.models.user import ApiToken, Membership, RecoveryCode, User
from app.models.webhook import WebhookDelivery, WebhookEndpoint

__all__ = [
    "DEFAULT_ROLES",
    "DEPARTMENT_ORDER",
    "ENGLISH",
    "INDUSTRIES",
    "NAME_LENGTH",
    "SIZE_BANDS",
    "Action",
    "ActionChange",
    "Answer",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Campaign",
    "Department",
    "IdentityProvider",
    "Membership",
    "Named",
    "Organization",
    "OutcomeRecord",
    "Participant",
    "ParticipantImport",
    "ParticipantLink",
    "ProfileAnswer",
    "RecoveryCode",
    "ReportJob",
    "Response",
    "Role",
    "UTCDateTime",
    "User",
    "UserIdentity",
    "WebhookDelivery",
    "WebhookEndpoint",
    "display_name",
    "lacks_english",
    "name_labels",
    "pick_name",
    "role_label",
    "role_labels",
    "utcnow",
]
