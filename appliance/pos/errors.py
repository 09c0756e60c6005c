"""Every refusal of the sale domain: its own class, a stable key, a French template.

The Till turns these into its own errors (same key, same template, same parameters); the
kiosk translates the template by its French text and fills in the parameters, the CLI prints
`str(error)`, the finished French sentence. Callers decide by class or by key, never by
message text:

    PosError
    ├── UnknownVatRate        a VAT rate not in the register's table
    ├── InvalidQuantity       zero, negative on a sale, beyond the sane bound
    ├── InvalidPrice          negative or absurd unit price
    ├── DiscountTooLarge      more than 100 %, or more than the amount discounted
    ├── UnknownLine           a line number that is not (or no longer) on the ticket
    ├── TicketStateError      editing a validated ticket, validating an empty one...
    ├── InvalidReference      a return/void that does not match its original ticket
    ├── TenderError
    │   ├── InsufficientTender    not enough paid
    │   └── TenderMismatch        does not balance (overpaid without cash, change > cash...)
    ├── SessionClosed         cash operation on a closed (or not opened) session
    ├── InvalidCashMovement   cash in/out of zero or without a reason
    └── InvalidBarcode        wrong length, non-digits, wrong check digit (reason given)

`REFUSALS` is the one place the domain's sentences are written: each key's template names
its parameters, plain values already written the French way ("12,50 €", "1,5").
"""

from __future__ import annotations

Param = str | int

REFUSALS: dict[str, str] = {
    # barcode
    "barcode_digits": "code-barres illisible : {text} (chiffres attendus)",
    "barcode_length": (
        "code-barres de {length} chiffres : {code} (EAN-13, EAN-8, UPC-A ou UPC-E attendu)"
    ),
    "barcode_check_digit": (
        "code-barres {code} refusé : chiffre de contrôle faux (attendu {expected},"
        " lu {read}) ; scannez de nouveau"
    ),
    "barcode_nomenclature": (
        "nomenclature incohérente pour le préfixe {prefix} : article et valeur se chevauchent"
    ),
    # fiscal
    "malformed_payload": "ticket illisible dans le journal : {detail}",
    # parking
    "park_empty_ticket": "ticket vide : rien à mettre en attente",
    "too_many_parked": "déjà {limit} tickets en attente : rappelez-en un",
    "no_parked_ticket": "aucun ticket en attente n° {number}",
    # session
    "unknown_denomination": "coupure inconnue : {denomination} (billets et pièces en euros)",
    "negative_denomination_count": "nombre négatif de {denomination} : {count}",
    "float_total_or_detail": "fond de caisse : donnez soit le total, soit le détail des coupures",
    "negative_float": "fond de caisse négatif refusé : {amount}",
    "negative_counted": "montant compté négatif pour {method} : {amount}",
    "cash_movement_not_positive": (
        "montant invalide : {amount} (un mouvement d'espèces est positif)"
    ),
    "cash_movement_reason_required": "motif obligatoire pour une entrée ou une sortie d'espèces",
    "cash_out_exceeds_drawer": (
        "sortie de {amount} impossible : le tiroir ne contient en principe que {expected}"
    ),
    "session_closed": "la session de caisse est clôturée : ouvrez-en une nouvelle",
    # tax
    "unknown_vat_rate": "taux de TVA inconnu : {rate} % (taux de la caisse : {known})",
    # tender
    "tender_must_be_positive": "paiement {method} de {amount} refusé : montant positif",
    "tender_must_be_negative": (
        "paiement {method} de {amount} refusé : montant négatif (remboursement)"
    ),
    "tender_on_zero_ticket": (
        "paiement {method} de {amount} refusé : montant absent : le ticket est à 0,00 €"
    ),
    "non_cash_exceeds_total": (
        "les paiements hors espèces ({paid}) dépassent le total ({total}) : la monnaie ne se"
        " rend qu'en espèces"
    ),
    "nothing_left_for_cash": "rien ne reste à payer en espèces : retirez le paiement espèces",
    "insufficient_tender": "paiement insuffisant : il manque {missing} sur {due}",
    "refund_must_be_exact": (
        "remboursement de {cash} en espèces pour {due} dû : un remboursement doit être exact"
    ),
    "validate_empty_ticket": "ticket vide : ajoutez au moins un article avant d'encaisser",
    # ticket
    "discount_percent_out_of_range": (
        "remise de {percent} % refusée : elle doit être comprise entre 0 et 100 %"
    ),
    "discount_amount_not_positive": "remise de {amount} refusée : montant positif attendu",
    "discount_exceeds_amount": (
        "remise de {amount} refusée : supérieure au montant remisé ({base})"
    ),
    "return_of_non_sale": (
        "le ticket n° {number} n'est pas une vente : il ne peut pas être repris"
    ),
    "void_of_non_sale": "le ticket n° {number} n'est pas une vente : il ne peut pas être annulé",
    "void_without_lines": "le ticket n° {number} n'a aucune ligne à annuler",
    "add_line_to_return": "un retour ne reprend que des lignes du ticket d'origine",
    "ticket_full": "ticket plein : {limit} lignes au plus",
    "return_line_on_sale": "seul un ticket de retour reprend des lignes",
    "unknown_original_line": "le ticket n° {number} n'a pas de ligne {line}",
    "return_quantity_invalid": (
        "quantité reprise invalide : {quantity} (au plus {left} pour « {label} »)"
    ),
    "discount_on_return": "pas de remise sur un retour ou une annulation",
    "unknown_line": "pas de ligne n° {line} sur ce ticket",
    "edit_return_line": (
        "les lignes d'un retour ou d'une annulation reprennent le ticket d'origine"
    ),
    "sale_quantity_not_positive": (
        "quantité invalide : {quantity} (une vente se fait en quantité positive ; pour"
        " reprendre un article, faites un retour)"
    ),
    "sale_quantity_too_large": "quantité invalide : {quantity} (au plus {limit} par ligne)",
    "negative_price": (
        "prix invalide : {price} (un prix n'est jamais négatif ; pour rembourser, faites un"
        " retour)"
    ),
    "price_too_large": "prix invalide : {price} (au plus {limit} l'unité)",
}


class PosError(ValueError):
    """Base of every refusal of the sale domain: raised with its key and named parameters.

    `message` (and `str(error)`) is the French sentence, the template filled in; a key that
    is not in `REFUSALS`, or a parameter missing, fails at the raise site itself.
    """

    def __init__(self, key: str, /, **params: Param) -> None:
        self.key = key
        self.template = REFUSALS[key]
        self.params = params
        self.message = self.template.format(**params)
        super().__init__(self.message)


class UnknownVatRate(PosError):
    pass


class InvalidQuantity(PosError):
    pass


class InvalidPrice(PosError):
    pass


class DiscountTooLarge(PosError):
    pass


class UnknownLine(PosError):
    pass


class TicketStateError(PosError):
    pass


class InvalidReference(PosError):
    pass


class TenderError(PosError):
    pass


class InsufficientTender(TenderError):
    pass


class TenderMismatch(TenderError):
    pass


class SessionClosed(PosError):
    pass


class InvalidCashMovement(PosError):
    pass


class InvalidBarcode(PosError):
    """Raised with a "barcode_…" key."""

    @property
    def reason(self) -> str:
        """The key without its prefix ("check_digit", "length", "digits", "nomenclature"):
        short and stable, for logs and tests."""
        return self.key.removeprefix("barcode_")
