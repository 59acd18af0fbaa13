"""Chorus's rules, shared by the pages, the API and the commands (synchronous: call from a
worker thread). Every read is restricted to the structures the caller belongs to, and another
structure's data answer like missing ones (NotFound: 404, never 403)."""

from __future__ import annotations

import base64
import io
import math
import secrets
import smtplib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import TYPE_CHECKING, Generic, TypeVar

from clients.chorus import storage
from clients.chorus.identifiers import IdentifierError, check
from clients.chorus.models import (
    Invoice,
    Mail,
    Membership,
    Person,
    Service,
    StatusChange,
    Structure,
    TechnicalUser,
)
from clients.chorus.registration import HubRegistration
from clients.chorus.settings import ChorusSettings
from clients.chorus.statuses import Refusal, check_change
from clients.chorus.storage import InvoiceQuery
from sitekit.texts import N_, Text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sitekit.storage.database import Database

R = TypeVar("R")
DAY = 86400
PRINCIPAL, USER = "principal", "utilisateur"
CONSULTATION, MODIFICATION = "consultation", "modification"
RIGHTS = (CONSULTATION, MODIFICATION)
CODE_PATTERN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"


class NotFound(Exception):
    """Unknown, or not the caller's: the same answer (404)."""


class Forbidden(Exception):
    """A member of the structure without the role this needs (403)."""


class FormError(ValueError):
    def __init__(self, field_name: str, message: Text) -> None:
        super().__init__(str(message))
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Page(Generic[R]):
    rows: list[R]
    number: int
    count: int  # pages
    total: int

    @classmethod
    def of(cls, rows: list[R], number: int, total: int, size: int) -> Page[R]:
        return cls(rows, number, max(1, math.ceil(total / size)), total)


@dataclass(frozen=True)
class Actor:
    """Who acts: a person (`sub`) or a technical user (its client_id), and the name the
    history shows."""

    sub: str
    name: str


@dataclass(frozen=True)
class Access:
    structure: Structure
    role: str
    rights: str

    @property
    def principal(self) -> bool:
        return self.role == PRINCIPAL

    @property
    def may_modify(self) -> bool:
        return self.principal or self.rights == MODIFICATION


@dataclass(frozen=True)
class Sheet:
    """A structure's page: itself, its services, its people and technical users."""

    access: Access
    services: list[Service]
    members: list[tuple[Membership, Person]]
    technical_users: list[TechnicalUser]


@dataclass(frozen=True)
class NewSecret:
    """What the page shows once: the technical user and its secret (never stored)."""

    technical_user: TechnicalUser
    secret: str = field(repr=False)


@dataclass(frozen=True)
class Scope:
    """The structures a caller may read, and those it may change invoices of."""

    readable: frozenset[int]
    writable: frozenset[int]


class ChorusService:
    def __init__(self, settings: ChorusSettings, db: Database, registration: HubRegistration,
                 now: Callable[[], int], translate: Callable[[str], str] = str) -> None:
        self.settings = settings
        self.db = db
        self.registration = registration
        self.now = now
        self.t = translate  # message id → the managers' language (French by default)

    # People ------------------------------------------------------------------------------

    def seen(self, sub: str, email: str | None, name: str, session_hash: str) -> Person:
        """Record the person behind a session; a new session moves the last login into
        `previous_login_at` ("Dernière connexion le …")."""
        now = self.now()
        with self.db.transaction() as s:
            person = storage.person(s, sub)
            if person is None:
                person = Person(sub=sub, email=email, name=name[:255], session_hash=session_hash,
                                last_login_at=now, previous_login_at=None)
                s.add(person)
            elif person.session_hash != session_hash:
                person.previous_login_at = person.last_login_at
                person.last_login_at = now
                person.session_hash = session_hash
                person.email, person.name = email, name[:255]
            s.flush()
            s.expunge(person)
        return person

    # Structures --------------------------------------------------------------------------

    def create_structure(self, actor: Actor, kind: str, raw_identifier: str, name: str,
                         service_code: str, service_label: str) -> Structure:
        """The creator becomes its main manager (CHORUS.md)."""
        try:
            identifier = check(kind, raw_identifier)
        except IdentifierError as error:
            raise FormError("identifiant", error.message) from None
        name = _clean(name, 100)
        if not name:
            raise FormError("raison_sociale", Text(N_("Give the company name (1 to 100 "
                                                      "characters).")))
        code, label = _service(service_code, service_label)
        now = self.now()
        with self.db.transaction() as s:
            if storage.structure_by_identifier(s, kind, identifier) is not None:
                raise FormError("identifiant", Text(N_("A structure with this identifier "
                                                       "already exists: ask its main manager "
                                                       "to attach you.")))
            structure = Structure(identifier_type=kind, identifier=identifier, name=name,
                                  status="ACTIF", created_at=now)
            s.add(structure)
            s.flush()
            if code:
                s.add(Service(structure_id=structure.id, code=code, label=label, active=True))
            s.add(Membership(structure_id=structure.id, sub=actor.sub, role=PRINCIPAL,
                             rights=MODIFICATION, created_at=now, validated_at=now))
            s.flush()
            s.expunge(structure)
        return structure

    def my_structures(self, sub: str, page: int) -> tuple[Page[tuple[Structure, Membership]],
                                                          dict[int, list[Service]]]:
        size = self.settings.structures_page_size
        with self.db.read() as s:
            total, rows = storage.structures_of(s, sub, (page - 1) * size, size)
            services = storage.services_of(s, [row[0].id for row in rows])
        return Page.of(rows, page, total, size), services

    def pending_requests(self, sub: str) -> list[Structure]:
        with self.db.read() as s:
            return storage.pending_requests_of(s, sub)

    def access(self, sub: str, structure_id: int) -> Access:
        """The caller's validated membership, or NotFound (unknown or not theirs alike)."""
        with self.db.read() as s:
            return self._access(s, sub, structure_id)

    def _access(self, s: Session, sub: str, structure_id: int) -> Access:
        structure = s.get(Structure, structure_id)
        found = storage.membership(s, structure_id, sub) if structure else None
        if structure is None or found is None or found.validated_at is None:
            raise NotFound
        return Access(structure, found.role, found.rights)

    def sheet(self, sub: str, structure_id: int) -> Sheet:
        with self.db.read() as s:
            access = self._access(s, sub, structure_id)
            return Sheet(access, storage.services_of(s, [structure_id])[structure_id],
                         storage.members_of(s, structure_id),
                         storage.technical_users_of(s, structure_id))

    def _principal(self, s: Session, sub: str, structure_id: int) -> Access:
        access = self._access(s, sub, structure_id)
        if not access.principal:
            raise Forbidden
        return access

    def add_service(self, sub: str, structure_id: int, code: str, label: str) -> None:
        code, label = _service(code, label)
        if not code:
            raise FormError("code_service", Text(N_("Give the service code.")))
        with self.db.transaction() as s:
            self._principal(s, sub, structure_id)
            if any(x.code == code for x in storage.services_of(s, [structure_id])[structure_id]):
                raise FormError("code_service", Text(N_("This service code is already used.")))
            s.add(Service(structure_id=structure_id, code=code, label=label, active=True))

    def set_structure_status(self, sub: str, structure_id: int, status: str) -> None:
        if status not in ("ACTIF", "INACTIF"):
            raise FormError("statut", Text(N_("Choose ACTIF or INACTIF.")))
        with self.db.transaction() as s:
            self._principal(s, sub, structure_id).structure.status = status

    # Users of a structure ----------------------------------------------------------------

    def request_attachment(self, sub: str, kind: str, raw_identifier: str) -> None:
        """A person asks to join a structure; its main manager validates (or detaches)."""
        try:
            identifier = check(kind, raw_identifier)
        except IdentifierError as error:
            raise FormError("identifiant", error.message) from None
        with self.db.transaction() as s:
            structure = storage.structure_by_identifier(s, kind, identifier)
            if structure is None:
                raise FormError("identifiant", Text(N_("No structure has this identifier.")))
            if storage.membership(s, structure.id, sub) is None:
                s.add(Membership(structure_id=structure.id, sub=sub, role=USER,
                                 rights=CONSULTATION, created_at=self.now(), validated_at=None))

    def attach(self, sub: str, structure_id: int, who: str, rights: str) -> Person:
        """The main manager attaches a person known to Chorus (their e-mail or hub `sub`,
        after their first login), validated at once."""
        if rights not in RIGHTS:
            raise FormError("droits", Text(N_("Choose consultation or modification.")))
        who = _clean(who, 255)
        now = self.now()
        with self.db.transaction() as s:
            self._principal(s, sub, structure_id)
            person = storage.person_by_email_or_sub(s, who) if who else None
            if person is None:
                raise FormError("utilisateur", Text(N_(
                    "Nobody is known by this e-mail address or identifier: the person must "
                    "have logged in to Chorus Pro once.")))
            existing = storage.membership(s, structure_id, person.sub)
            if existing is not None and existing.validated_at is not None:
                raise FormError("utilisateur", Text(N_("This person is already a user of "
                                                       "the structure.")))
            if existing is None:
                s.add(Membership(structure_id=structure_id, sub=person.sub, role=USER,
                                 rights=rights, created_at=now, validated_at=now))
            else:
                existing.rights, existing.validated_at = rights, now
            s.flush()
            s.expunge(person)
        return person

    def validate(self, sub: str, structure_id: int, membership_id: int, rights: str) -> None:
        if rights not in RIGHTS:
            raise FormError("droits", Text(N_("Choose consultation or modification.")))
        with self.db.transaction() as s:
            self._principal(s, sub, structure_id)
            found = s.get(Membership, membership_id)
            if found is None or found.structure_id != structure_id:
                raise NotFound
            if found.role != PRINCIPAL:
                found.rights = rights
            found.validated_at = found.validated_at or self.now()

    def detach(self, sub: str, structure_id: int, membership_id: int) -> None:
        with self.db.transaction() as s:
            self._principal(s, sub, structure_id)
            found = s.get(Membership, membership_id)
            if found is None or found.structure_id != structure_id:
                raise NotFound
            if found.role == PRINCIPAL:
                raise FormError("utilisateur", Text(N_("The main manager cannot be "
                                                       "detached.")))
            s.delete(found)

    # Technical users ---------------------------------------------------------------------

    def create_technical_user(self, sub: str, structure_id: int) -> NewSecret:
        """Registered at the hub (RFC 7591); the secret is shown once, never stored."""
        with self.db.read() as s:
            access = self._principal(s, sub, structure_id)
        expires = self.now() + self.settings.technical_secret_days * DAY
        login = f"TECH_{structure_id}_{secrets.token_hex(12).upper()}@cpro.fr"
        answer = self.registration.register(login, expires)
        now = self.now()
        user = TechnicalUser(
            client_id=str(answer["client_id"]), structure_id=structure_id, login=login,
            created_by=sub, created_at=now,
            secret_expires_at=int(answer.get("client_secret_expires_at") or expires),
            renewed_at=None, notices_sent="")
        try:
            with self.db.transaction() as s:
                s.add(user)
                self._mail_principals(s, structure_id, Text(N_(
                    "Chorus Pro: technical user created for {name}"), name=access.structure.name),
                    Text(N_("A technical user was created for the structure {name} "
                            "({identifier}): {login} (identifier {client_id}). Its password "
                            "expires on {expiry}. It will not be shown again."),
                         name=access.structure.name, identifier=access.structure.identifier,
                         login=login, client_id=user.client_id, expiry=day(user.secret_expires_at)))
                s.flush()
                s.expunge(user)
        except Exception:
            self.registration.delete(user.client_id)  # no client at the hub without its row
            raise
        return NewSecret(user, str(answer["client_secret"]))

    def renew_secret(self, sub: str, structure_id: int, client_id: str) -> NewSecret:
        """"Mettre à jour le mot de passe" (seed 002): a new secret, the old refused at once."""
        with self.db.read() as s:
            access = self._principal(s, sub, structure_id)
            user = s.get(TechnicalUser, client_id[:255])
            if user is None or user.structure_id != structure_id:
                raise NotFound
        expires = self.now() + self.settings.technical_secret_days * DAY
        answer = self.registration.new_secret(user.client_id, expires)
        with self.db.transaction() as s:
            row = s.get(TechnicalUser, user.client_id)
            assert row is not None
            row.secret_expires_at = int(answer.get("client_secret_expires_at") or expires)
            row.renewed_at = self.now()
            row.notices_sent = ""
            self._mail_principals(s, structure_id, Text(N_(
                "Chorus Pro: technical user password updated for {name}"),
                name=access.structure.name), Text(N_(
                    "The password of the technical user {login} of the structure {name} was "
                    "updated; the old one no longer works. The new one expires on {expiry}."),
                    login=row.login, name=access.structure.name,
                    expiry=day(row.secret_expires_at)))
            s.flush()
            s.expunge(row)
        return NewSecret(row, str(answer["client_secret"]))

    def delete_technical_user(self, sub: str, structure_id: int, client_id: str) -> None:
        with self.db.read() as s:
            self._principal(s, sub, structure_id)
            user = s.get(TechnicalUser, client_id[:255])
            if user is None or user.structure_id != structure_id:
                raise NotFound
        self.registration.delete(user.client_id)
        with self.db.transaction() as s:
            found = s.get(TechnicalUser, user.client_id)
            if found is not None:
                s.delete(found)

    def adopt_technical_user(self, structure_id: int, client_id: str, login: str,
                             expires_at: int, by: str = "operator") -> None:
        """Link a client the operator registered at the hub to a structure (demo, tests)."""
        with self.db.transaction() as s:
            s.add(TechnicalUser(client_id=client_id, structure_id=structure_id, login=login,
                                created_by=by, created_at=self.now(),
                                secret_expires_at=expires_at, renewed_at=None, notices_sent=""))

    def send_expiry_notices(self) -> int:
        """E-mail the main managers 30 and 7 days (CHORUS_EXPIRY_NOTICE_DAYS) before a secret
        expires, once per threshold; a late run sends only the nearest threshold's."""
        now = self.now()
        thresholds = self.settings.notice_days
        sent = 0
        with self.db.transaction() as s:
            for user in storage.technical_users_expiring(s, now + thresholds[0] * DAY):
                if user.secret_expires_at <= now:
                    continue
                left = user.secret_expires_at - now
                due = [d for d in thresholds if left <= d * DAY]
                done = {int(d) for d in user.notices_sent.split(",") if d}
                if min(due) in done:
                    continue
                # One conditional UPDATE decides among processes running the job together.
                if not storage.mark_notices(s, user.client_id, user.notices_sent, ",".join(
                        str(d) for d in sorted(done | set(due)))):
                    continue
                structure = s.get(Structure, user.structure_id)
                assert structure is not None
                self._mail_principals(s, user.structure_id, Text(N_(
                    "Chorus Pro: the technical user's password expires on {expiry}"),
                    expiry=day(user.secret_expires_at)), Text(N_(
                        "The password of the technical user {login} of the structure {name} "
                        "expires on {expiry} ({days} days). Update it before then in "
                        "“Activités du gestionnaire”, or the connector will stop."),
                        login=user.login, name=structure.name,
                        expiry=day(user.secret_expires_at), days=math.ceil(left / DAY)))
                sent += 1
        return sent

    # Mail --------------------------------------------------------------------------------

    def _mail_principals(self, s: Session, structure_id: int, subject: Text, body: Text
                         ) -> None:
        for person in storage.principals_of(s, structure_id):
            if person.email:
                s.add(Mail(to=person.email, subject=self._text(subject)[:255],
                                 body=self._text(body), created_at=self.now(), attempts=0))

    def _text(self, text: Text) -> str:
        return self.t(str.__str__(text)).format(**text.values)

    def deliver_mails(self) -> int:
        """Send the queued e-mails (SMTP). Each is claimed by deleting its row first, so two
        processes never send it twice; one that could not be sent is queued again."""
        with self.db.read() as s:
            waiting = storage.waiting_mails(s, 50)
        sent = 0
        for mail in waiting:
            with self.db.transaction() as s:
                if not storage.claim_mail(s, mail.id):
                    continue  # another process has it
            message = EmailMessage()
            message["From"], message["To"], message["Subject"] = (
                self.settings.mail_from, mail.to, mail.subject)
            message.set_content(mail.body)
            try:
                with smtplib.SMTP(self.settings.smtp_host, self.settings.smtp_port,
                                  timeout=10) as smtp:
                    smtp.send_message(message)
            except (OSError, smtplib.SMTPException):
                with self.db.transaction() as s:
                    s.add(Mail(to=mail.to, subject=mail.subject, body=mail.body,
                               created_at=mail.created_at, attempts=mail.attempts + 1))
                continue
            sent += 1
        return sent

    # Invoices ----------------------------------------------------------------------------

    def scope_of_person(self, sub: str) -> Scope:
        with self.db.read() as s:
            _, rows = storage.structures_of(s, sub, 0, 10_000)
        return Scope(frozenset(st.id for st, _ in rows),
                     frozenset(st.id for st, m in rows
                               if m.role == PRINCIPAL or m.rights == MODIFICATION))

    def scope_of_technical_user(self, client_id: str) -> Scope | None:
        """A technical user has the main manager's rights on its structure (CHORUS.md)."""
        with self.db.read() as s:
            user = s.get(TechnicalUser, client_id[:255])
        if user is None:
            return None
        return Scope(frozenset({user.structure_id}), frozenset({user.structure_id}))

    def structures(self, ids: set[int]) -> dict[int, Structure]:
        with self.db.read() as s:
            found = {i: s.get(Structure, i) for i in ids}
        return {i: st for i, st in found.items() if st is not None}

    def search(self, query: InvoiceQuery, page: int, size: int) -> Page[Invoice]:
        with self.db.read() as s:
            total, rows = storage.search_invoices(s, query, (page - 1) * size, size)
        return Page.of(rows, page, total, size)

    def invoice(self, structure_ids: frozenset[int], invoice_id: int) -> Invoice:
        with self.db.read() as s:
            found = storage.invoice_of(s, structure_ids, invoice_id)
        if found is None:
            raise NotFound
        return found

    def history(self, structure_ids: frozenset[int], invoice_id: int) -> list[StatusChange]:
        with self.db.read() as s:
            if storage.invoice_of(s, structure_ids, invoice_id) is None:
                raise NotFound
            return storage.history_of(s, invoice_id)

    def change_status(self, scope: Scope, invoice_id: int, new: str, motif: str | None,
                      mandate_number: str | None, actor: Actor) -> Invoice:
        """`traiter/recue`: Refusal when a rule is broken; NotFound for another structure's
        invoice; Forbidden for a reader without the right to modify."""
        now = self.now()
        with self.db.transaction() as s:
            invoice = storage.invoice_of(s, scope.readable, invoice_id)
            if invoice is None:
                raise NotFound
            if invoice.structure_id not in scope.writable:
                raise Forbidden
            motif, mandate_number = check_change(invoice.status, new, motif, mandate_number)
            if not storage.set_status(s, invoice.id, invoice.status, new, now, motif,
                                      mandate_number):
                raise Refusal("TRANSITION_INTERDITE", "Le statut de la facture vient de "
                                                      "changer : consultez-la à nouveau.")
            s.add(StatusChange(invoice_id=invoice.id, status=new, at=now, comment=motif,
                               by_name=actor.name[:255]))
            s.flush()
            s.refresh(invoice)
            s.expunge(invoice)
        return invoice

    def download(self, structure_ids: frozenset[int], invoice_ids: list[int],
                 ) -> list[tuple[Invoice, bytes]]:
        """Each invoice's PDF (all of the caller's structures, else NotFound), marked
        downloaded by the recipient."""
        with self.db.transaction() as s:
            found = [storage.invoice_of(s, structure_ids, i) for i in invoice_ids]
            invoices = [i for i in found if i is not None]
            if len(invoices) != len(invoice_ids) or not invoices:
                raise NotFound
            storage.mark_downloaded(s, [i.id for i in invoices])
            structures = {i.structure_id: s.get(Structure, i.structure_id) for i in invoices}
            files = [(i, invoice_pdf(i, structures[i.structure_id])) for i in invoices]
            for i in invoices:
                s.expunge(i)
        return files


def bundle(files: list[tuple[Invoice, bytes]], kind: str) -> bytes:
    """One PDF as is, or several (or format ZIP) in a ZIP archive."""
    if kind != "ZIP" and len(files) == 1:
        return files[0][1]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for invoice, data in files:
            archive.writestr(f"{invoice.id}_{file_stem(invoice.number)}.pdf", data)
    return out.getvalue()


def file_stem(number: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in number)[:40]


def invoice_pdf(invoice: Invoice, structure: Structure | None) -> bytes:
    """A one-page PDF of the (invented) invoice, written by hand: the demo holds no files."""
    lines = [f"Facture {invoice.number}", f"Fournisseur : {invoice.supplier_name} "
             f"({invoice.supplier_code})",
             f"Destinataire : {structure.name if structure else ''} "
             f"({structure.identifier if structure else ''})",
             f"Date : {invoice.invoice_date}", f"Montant HT : {euros(invoice.amount_ht)}",
             f"Montant TTC : {euros(invoice.amount_ttc)} {invoice.currency}"]
    text = "BT /F1 12 Tf 50 780 Td 16 TL " + " ".join(
        f"({_pdf_string(line)}) '" for line in lines) + " ET"
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
               "/Resources << /Font << /F1 5 0 R >> >> >>",
               f"<< /Length {len(text.encode('latin-1'))} >>\nstream\n{text}\nendstream",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
               "/Encoding /WinAnsiEncoding >>"]
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return out


def _pdf_string(text: str) -> str:
    text = text.encode("latin-1", "replace").decode("latin-1")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def day(timestamp: int | None) -> str:
    from datetime import UTC, datetime

    return "" if timestamp is None else datetime.fromtimestamp(timestamp, UTC).strftime(
        "%d/%m/%Y")


def _clean(value: str, limit: int) -> str:
    """Trimmed text without control characters, at most `limit` characters."""
    value = " ".join(value.split())
    if len(value) > limit or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return ""
    return value


def _service(code: str, label: str) -> tuple[str, str]:
    code = code.strip().upper()
    label = _clean(label, 100)
    if not code:
        return "", ""
    if len(code) > 32 or any(c not in CODE_PATTERN for c in code):
        raise FormError("code_service", Text(N_("A service code has 1 to 32 letters, digits, "
                                                "'_' or '-'.")))
    if not label:
        raise FormError("libelle_service", Text(N_("Give the service's name (1 to 100 "
                                                   "characters).")))
    return code, label
