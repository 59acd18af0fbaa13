"""SQLAlchemy 2 models. Import every module so Base.metadata is complete for Alembic."""

from idp.storage.models.accounts import Account, LoginName, LoginNameSettings, LoginThrottle
from idp.storage.models.audit import AuditCheckpoint, AuditEvent
from idp.storage.models.base import Base
from idp.storage.models.citizen_records import BlockedAddress, EmailLink, UsedChallenge
from idp.storage.models.devices import KnownDevice
from idp.storage.models.federation import FederationVersion, IdentityProvider, ProviderHealth
from idp.storage.models.federation_links import FederationLink
from idp.storage.models.messaging import OutboxMessage
from idp.storage.models.oauth import (
    AuthorizationCode,
    BrowserSession,
    Client,
    ClientsVersion,
    Consent,
    Grant,
    RefreshToken,
    RevokedAccessToken,
    SessionClient,
    UsedAssertion,
)
from idp.storage.models.passwords import PasswordHistory, RecoveryChallenge
from idp.storage.models.second_factor import Authenticator, RecoveryCode
from idp.storage.models.subjects import Subject

__all__ = [
    "Account",
    "AuditCheckpoint",
    "AuditEvent",
    "Authenticator",
    "AuthorizationCode",
    "Base",
    "BlockedAddress",
    "BrowserSession",
    "Client",
    "ClientsVersion",
    "Consent",
    "EmailLink",
    "FederationLink",
    "FederationVersion",
    "Grant",
    "IdentityProvider",
    "KnownDevice",
    "LoginName",
    "LoginNameSettings",
    "LoginThrottle",
    "OutboxMessage",
    "PasswordHistory",
    "ProviderHealth",
    "RecoveryChallenge",
    "RecoveryCode",
    "RefreshToken",
    "RevokedAccessToken",
    "SessionClient",
    "Subject",
    "UsedAssertion",
    "UsedChallenge",
]
