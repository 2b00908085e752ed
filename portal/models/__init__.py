"""The core models. Importing this package registers every table of the core on the metadata."""
from portal.models.audit import AuditEvent, Mailing, OutboxMessage
from portal.models.base import UTCDateTime, utcnow
from portal.models.certificates import Certificate, CertificateKind
from portal.models.entries import Consent, ConsentKind, DeadlineExtension, Entry, EntryAuthor, EntryStatus
from portal.models.files import EntryFile, FileKind, PendingUpload
from portal.models.library import Award, AwardTier, LibraryFile, LibraryItem, LibrarySource, LibraryStatus
from portal.models.organisations import MemberRole, Membership, Organisation, OrganisationKind
from portal.models.regions import Region
from portal.models.seasons import Nomination, Season, SeasonStatus, Track
from portal.models.users import ApiToken, LoginAttempt, Role, User

__all__ = [
    "ApiToken", "AuditEvent", "Award", "AwardTier", "Certificate", "CertificateKind", "Consent", "ConsentKind",
    "DeadlineExtension", "Entry", "EntryAuthor", "EntryFile", "EntryStatus", "FileKind", "LibraryFile", "LibraryItem",
    "LibrarySource", "LibraryStatus", "LoginAttempt", "Mailing", "MemberRole", "Membership", "Nomination",
    "Organisation", "OrganisationKind", "OutboxMessage", "PendingUpload", "Region", "Role", "Season", "SeasonStatus",
    "Track", "User", "UTCDateTime", "utcnow",
]
