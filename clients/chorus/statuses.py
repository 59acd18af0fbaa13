"""The processing statuses of a received invoice and the one table of the changes a
recipient may make (CHORUS.md "Statuses"). The real service answers the reachable statuses at
run time; here they are this data, served by `/cpro/transverses/v1/recuperer/etats/traitement`.
Statuses go forward only: once MISE_EN_PAIEMENT, no MANDATEE after it (CHORUS.md)."""

from __future__ import annotations

MOTIF_MAX = 255  # connectors cut the motif at 255 characters (pastell CppModifStatut.php)
NUMERO_DP_MAX = 50

STATUSES = (
    "DEPOSEE", "EN_COURS_ACHEMINEMENT", "MISE_A_DISPOSITION", "A_RECYCLER", "REJETEE",
    "SUSPENDUE", "COMPLETEE", "SERVICE_FAIT", "MANDATEE", "MISE_A_DISPOSITION_COMPTABLE",
    "COMPTABILISEE", "MISE_EN_PAIEMENT",
)

_ACCOUNTING = ("MANDATEE", "MISE_A_DISPOSITION_COMPTABLE", "COMPTABILISEE", "MISE_EN_PAIEMENT")

# current status → the statuses the recipient may set from it (in the order shown).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "DEPOSEE": (),  # still the supplier's and the routing's
    "EN_COURS_ACHEMINEMENT": (),
    # The official example (CHORUS.md), plus SERVICE_FAIT.
    "MISE_A_DISPOSITION": ("SUSPENDUE", "REJETEE", "SERVICE_FAIT", *_ACCOUNTING, "A_RECYCLER"),
    "A_RECYCLER": (),  # back to the routing
    "REJETEE": (),  # final
    "SUSPENDUE": ("REJETEE",),  # the supplier completes it (COMPLETEE), or it is rejected
    "COMPLETEE": ("SUSPENDUE", "REJETEE", "SERVICE_FAIT", *_ACCOUNTING),
    "SERVICE_FAIT": ("SUSPENDUE", "REJETEE", *_ACCOUNTING),
    "MANDATEE": ("MISE_A_DISPOSITION_COMPTABLE", "COMPTABILISEE", "MISE_EN_PAIEMENT"),
    "MISE_A_DISPOSITION_COMPTABLE": ("COMPTABILISEE", "MISE_EN_PAIEMENT"),
    "COMPTABILISEE": ("MISE_EN_PAIEMENT",),
    "MISE_EN_PAIEMENT": (),  # final
}

MOTIF_REQUIRED = frozenset({"REJETEE", "SUSPENDUE"})
MANDATE_NUMBER_REQUIRED = frozenset({"MANDATEE"})


class Refusal(Exception):
    """A status change refused: `code` for programs, `message` for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_change(current: str, new: str, motif: str | None, numero_dp_mandat: str | None
                 ) -> tuple[str | None, str | None]:
    """(motif, mandate number) cleaned, or Refusal naming the rule broken."""
    if new not in TRANSITIONS:
        raise Refusal("STATUT_INCONNU", f"Le statut {new[:40]!r} n'existe pas.")
    if new not in TRANSITIONS.get(current, ()):
        raise Refusal("TRANSITION_INTERDITE",
                      f"Le statut {new} ne peut pas suivre le statut {current}.")
    motif = (motif or "").strip() or None
    if motif is not None and (len(motif) > MOTIF_MAX or _has_control(motif)):
        raise Refusal("MOTIF_INVALIDE", f"Le motif fait au plus {MOTIF_MAX} caractères, sans "
                                        "caractère de contrôle.")
    if new in MOTIF_REQUIRED and motif is None:
        raise Refusal("MOTIF_OBLIGATOIRE", f"Un motif est obligatoire pour le statut {new}.")
    number = (numero_dp_mandat or "").strip() or None
    if new in MANDATE_NUMBER_REQUIRED:
        if number is None:
            raise Refusal("NUMERO_DP_MANDAT_OBLIGATOIRE",
                          "Le numéro de mandat (numeroDPMandat) est obligatoire pour le "
                          "statut MANDATEE.")
        if len(number) > NUMERO_DP_MAX or _has_control(number):
            raise Refusal("NUMERO_DP_MANDAT_INVALIDE",
                          f"Le numéro de mandat fait au plus {NUMERO_DP_MAX} caractères.")
    elif number is not None:
        raise Refusal("NUMERO_DP_MANDAT_INATTENDU",
                      "Le numéro de mandat ne se donne qu'avec le statut MANDATEE.")
    return motif, number


def _has_control(text: str) -> bool:
    return any((ord(c) < 32 and c not in "\t\n\r") or ord(c) == 127 for c in text)
