"""The errors the Till raises to the screen and the command line.

The UI may import only `appliance.till`, so the Till is the one boundary where the errors of
the layers below (`pos` domain errors, catalogue lookups, PIN checks) become one family: every
refusal the cashier can meet is a `TillError` with a stable `key` (for tests and for callers
that must tell two refusals of one class apart: never decide by message text), a French
`template` with named `params`, and `message`, the template filled in (what the CLI prints).
The kiosk translates the template by its French text and fills in the same parameters.

`REFUSALS` holds the Till's own templates; a domain refusal keeps the key, template and
parameters it had in `appliance.pos.errors.REFUSALS` (the two catalogues never share a key).
A refusal of a lower layer that writes its own French sentence (the journal, the parked
tickets' file, the register check) passes it on whole, as the `reason` of a "{reason}"
template. The original error stays attached as `__cause__`.

    TillError
     ├── NoSession              no open cash session (open one first)
     ├── SessionAlreadyOpen
     ├── ProductNotFound        unknown barcode / product id, or removed from the catalogue
     ├── InvalidBarcode         wrong check digit, malformed code
     ├── ProductWithoutPrice
     ├── LineNotFound
     ├── TenderError            unknown method, tenders that do not balance, nothing to pay
     ├── SellerError            seller required, unknown or removed
     ├── CustomerError          default account missing, unknown account
     ├── TicketNotFound         return/void/reprint of a ticket the journal does not hold
     ├── PermissionDenied       wrong manager PIN, training mode not allowed
     ├── RegisterError          register record missing from the catalogue / Kafinea
     ├── DeviceUnavailable      printer or drawer test on a register without one
     ├── ExportError            journal export folder missing or not writable
     └── InvalidInput           any other refused value (negative quantity, bad discount...)
"""

from __future__ import annotations

from collections.abc import Callable

from appliance.pos import errors as pos
from appliance.pos.errors import Param
from appliance.till.printing import NO_PRINTER

PASSED_ON = "{reason}"  # a lower layer's own French sentence, shown as it is

REFUSALS: dict[str, str] = {
    # the cash session
    "no_session": "aucune session de caisse ouverte : saisissez le fond de caisse",
    "session_already_open": "une session de caisse est déjà ouverte",
    "parked_tickets_block_closing": "des tickets sont en attente : rappelez-les ou annulez-les",
    # building the ticket
    "unknown_barcode": "article inconnu : code-barres {code} (absent du catalogue de la caisse)",
    "unknown_product": "article inconnu : {product_id} (absent du catalogue de la caisse)",
    "product_without_price": "« {name} » n'a pas de prix dans Kafinea",
    "line_without_price": "« {name} » n'a pas de prix",
    "sale_products_only": "un retour ne reprend que les articles du ticket d'origine",
    "percent_or_amount": "remise : donnez un pourcentage ou un montant, pas les deux",
    "price_change_needs_pin": "changement de prix : code du responsable requis",
    "unknown_seller": "vendeur inconnu de cette caisse : {name}",
    "ticket_in_progress": "terminez ou mettez en attente le ticket en cours d'abord",
    "parked_products_removed": (
        "retirés du catalogue entre-temps : {names} (le ticket reste en attente)"
    ),
    "parked": PASSED_ON,
    # paying and validating
    "unknown_payment_method": "moyen de paiement non accepté par cette caisse : {method}",
    "payment_not_positive": "montant de paiement invalide : il doit être positif",
    "no_such_payment": "pas de paiement n° {number} sur ce ticket",
    "seller_required": "choisissez le vendeur avant d'encaisser",
    "no_default_account": (
        "aucun compte client par défaut pour cette caisse dans Kafinea : choisissez un client"
        " ou renseignez le compte par défaut de la caisse"
    ),
    # earlier tickets: returns, voids, duplicates
    "ticket_not_in_journal": "ticket {ref} introuvable dans le journal",
    "already_returned": (
        "le ticket n° {number} a déjà un retour : faites un retour des articles restants"
    ),
    "fully_returned": "tout le ticket n° {number} a déjà été repris",
    "void_needs_pin": "annulation de ticket : code du responsable requis",
    # the back office
    "training_disabled": "le mode école est désactivé sur cette caisse",
    "training_needs_pin": "mode école : code du responsable requis",
    "ticket_blocks_mode_change": "terminez le ticket en cours avant de changer de mode",
    "register_unknown": (
        "caisse inconnue : l'enregistrement de caisse n'a jamais été lu depuis Kafinea"
        " (lancez « appliance sync » une fois en ligne)"
    ),
    "register_refused": PASSED_ON,
    "no_kafinea_catalog": "pas de Kafinea configuré : catalogue local seulement",
    "no_kafinea_sync": "pas de Kafinea configuré : rien à synchroniser",
    "kafinea": "catalogue non mis à jour : {reason}",
    "journal": PASSED_ON,
    "journal_verify_unavailable": "vérification du journal indisponible",
    "no_printer": NO_PRINTER,  # also the printer's line in the status
    "no_drawer": "aucun tiroir-caisse configuré",
    "export_folder_missing": "dossier d'export introuvable : {folder} (clé USB retirée ?)",
    "export_failed": "export impossible dans {folder} : {reason}",
}


def template_of(key: str) -> str:
    """The French template of a refusal: the Till's own, else the domain's it passes on."""
    return REFUSALS[key] if key in REFUSALS else pos.REFUSALS[key]


class TillError(Exception):
    """Base of every refusal, raised with its key and named parameters.

    A key in neither catalogue, or a parameter missing, fails at the raise site itself.
    """

    def __init__(self, key: str, /, **params: Param) -> None:
        self.key = key
        self.template = template_of(key)
        self.params = params
        self.message = self.template.format(**params)
        super().__init__(self.message)

    def translated(self, translate: Callable[[str], str]) -> str:
        """The sentence in another language: `translate` the template, then fill it in."""
        return translate(self.template).format(**self.params)


class NoSession(TillError):
    pass


class SessionAlreadyOpen(TillError):
    pass


class ProductNotFound(TillError):
    pass


class InvalidBarcode(TillError):
    pass


class ProductWithoutPrice(TillError):
    pass


class LineNotFound(TillError):
    pass


class TenderError(TillError):
    pass


class SellerError(TillError):
    pass


class CustomerError(TillError):
    pass


class TicketNotFound(TillError):
    pass


class PermissionDenied(TillError):
    pass


class RegisterError(TillError):
    pass


class DeviceUnavailable(TillError):
    pass


class ExportError(TillError):
    pass


class InvalidInput(TillError):
    pass


_KINDS: tuple[tuple[type[pos.PosError], type[TillError]], ...] = (
    (pos.InvalidBarcode, InvalidBarcode),
    (pos.TenderError, TenderError),
    (pos.UnknownLine, LineNotFound),
    (pos.SessionClosed, NoSession),
)


def from_domain(error: pos.PosError) -> TillError:
    """One `pos` refusal as the Till's error: same key, template and parameters."""
    for domain, ours in _KINDS:
        if isinstance(error, domain):
            return ours(error.key, **error.params)
    return InvalidInput(error.key, **error.params)
