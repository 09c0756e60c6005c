"""Schema map: which Kafinea module and field plays each role the till needs.

Why: Kafinea's point-of-sale modules (payments, credit notes, cash registers, cash
transactions) have no public webservice names, and shops add custom fields (the barcode is
usually one). So the till speaks in roles ("cash_registers", "barcode"), `discover()` finds
the names on the live instance with `listtypes` + `describe` (by name, then by French or
English label), and the configuration's `[kafinea.modules]` / `[kafinea.fields.<role>]`
overrides win over both. A module that cannot be found is reported as missing, and the till
falls back: register settings from `[register]`, payments written on the invoice itself
(`received`), credit notes as invoices with status "Credit Invoice".

The defaults are the names the sandbox serves (appliance/kafinea/sandbox/modules.py).
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class SchemaError(Exception):
    """A role the caller needs is missing, or an override names an unknown role."""


@dataclass(frozen=True)
class ModuleRole:
    """Defaults and discovery hints for one module role."""

    default: str
    names: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    required: bool = False
    fallback: str = ""
    fields: dict[str, FieldRole] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldRole:
    default: str
    labels: tuple[str, ...] = ()
    required: bool = False
    fallback: str | None = None  # another field name to use when nothing matches


def _f(
    default: str, *labels: str, required: bool = False, fallback: str | None = None
) -> FieldRole:
    return FieldRole(default, labels, required, fallback)


ROLES: dict[str, ModuleRole] = {
    "products": ModuleRole(
        "Products",
        ("Products",),
        ("Produits", "Products", "Articles"),
        required=True,
        fields={
            "name": _f("productname", "nom du produit", "product name", required=True),
            "category": _f("productcategory", "catégorie", "category", "famille"),
            "unit_price": _f("unit_price", "prix unitaire", "unit price", required=True),
            # No default name: custom field numbers differ per instance, so find it by label.
            "barcode": _f(
                "",
                "ean",
                "code-barres",
                "code barres",
                "code-barre",
                "barcode",
                "gencod",
                fallback="productcode",
            ),
            "active": _f("discontinued", "produit actif", "product active", "actif"),
            "code": _f("productcode", "référence", "part number"),
            "number": _f("product_no", "numéro de produit", "product no"),
            "unit": _f("usageunit", "unité", "usage unit"),
        },
    ),
    "accounts": ModuleRole(
        "Accounts",
        ("Accounts",),
        ("Comptes", "Organisations", "Organizations", "Accounts"),
        required=True,
        fields={
            "name": _f("accountname", "nom du compte", "organization name", required=True),
            # What a cashier types to find a customer at the till (account search).
            "number": _f("account_no", "numéro de compte", "account no"),
            "phone": _f("phone", "téléphone", "phone"),
            "email": _f("email1", "e-mail", "email"),
        },
    ),
    "users": ModuleRole(
        "Users",
        ("Users",),
        ("Utilisateurs", "Users"),
        fields={
            "username": _f("user_name", "nom d'utilisateur", "user name"),
            "first_name": _f("first_name", "prénom", "first name"),
            "last_name": _f("last_name", "nom", "last name"),
            "email": _f("email1", "e-mail", "email"),
            "currency_decimals": _f("no_of_currency_decimals", "décimales", "decimals"),
        },
    ),
    "invoices": ModuleRole(
        "Invoice",
        ("Invoice",),
        ("Factures", "Invoices", "Invoice"),
        required=True,
        fields={
            "subject": _f("subject", "objet", "subject", required=True),
            "account": _f("account_id", "compte", "organization name", required=True),
            "date": _f("invoicedate", "date de facture", "invoice date"),
            "status": _f("invoicestatus", "statut", "status"),
            "number": _f("invoice_no", "numéro de facture", "invoice no"),
            "tax_type": _f("hdnTaxType", "type de taxe", "tax type"),
            "bill_street": _f("bill_street", "adresse de facturation", "billing address"),
            "ship_street": _f("ship_street", "adresse de livraison", "shipping address"),
            "product": _f("productid", "produit", "product"),
            "received": _f("received", "montant reçu", "received"),
            "grand_total": _f("hdnGrandTotal", "total ttc", "grand total", "total"),
            "register": _f("cf_cashregister_id", "caisse", "cash register"),
            "seller": _f("cf_seller", "vendeur", "seller"),
            "ticket_reference": _f("cf_ticket_ref", "référence ticket", "ticket", "receipt"),
        },
    ),
    "credit_notes": ModuleRole(
        "CreditNotes",
        ("CreditNotes", "CreditNote", "Avoirs"),
        ("Avoirs", "Avoirs clients", "Credit notes", "Credit Notes", "Customer credit notes"),
        fallback="avoirs écrits comme factures au statut 'Credit Invoice'",
        fields={
            "subject": _f("subject", "objet", "subject"),
            "account": _f("account_id", "compte", "account"),
            "invoice": _f("invoice_id", "facture d'origine", "facture", "invoice"),
            "date": _f("creditnote_date", "date de l'avoir", "date"),
            "status": _f("creditnote_status", "statut", "status"),
            "number": _f("creditnote_no", "numéro d'avoir", "number"),
            "tax_type": _f("hdnTaxType", "type de taxe", "tax type"),
            "product": _f("productid", "produit", "product"),
            "register": _f("cf_cashregister_id", "caisse", "cash register"),
            "ticket_reference": _f("cf_ticket_ref", "référence ticket", "ticket"),
            "grand_total": _f("hdnGrandTotal", "total ttc", "grand total"),
        },
    ),
    "payments": ModuleRole(
        "Payments",
        ("Payments", "Payment", "Paiements", "CustomerPayments", "Cashflow4You"),
        ("Paiements", "Paiements clients", "Règlements", "Payments", "Customer payments"),
        fallback="paiements inscrits sur la facture elle-même (received)",
        fields={
            "amount": _f("amount", "montant", "amount"),
            "date": _f("payment_date", "date du paiement", "payment date", "date"),
            "method": _f("payment_method", "moyen de paiement", "mode de paiement", "method"),
            "account": _f("account_id", "compte", "account"),
            "related_to": _f("related_to", "document réglé", "facture", "invoice", "related"),
            "register": _f("cf_cashregister_id", "caisse", "cash register"),
            "status": _f("payment_status", "statut", "status"),
            "reference": _f("reference", "référence", "reference"),
            "number": _f("payment_no", "numéro", "number"),
        },
    ),
    "cash_registers": ModuleRole(
        "CashRegisters",
        ("CashRegisters", "CashRegister", "Caisses"),
        ("Caisses enregistreuses", "Caisse enregistreuse", "Cash Registers", "Cash register"),
        fallback="réglages de caisse pris dans la table [register] de la configuration",
        fields={
            "name": _f("cashregister_name", "nom", "name"),
            "number": _f("cashregister_no", "numéro", "number"),
            "technical_user": _f("technical_user_id", "utilisateur technique", "technical user"),
            "default_account": _f("account_id", "compte client par défaut", "default account"),
            "sellers": _f("sellers", "vendeurs", "sellers"),
            "printer_address": _f("printer_address", "imprimante", "printer"),
            "payment_methods": _f("payment_methods", "moyens de paiement", "payment methods"),
            "rounding": _f("cash_rounding", "arrondi", "rounding"),
            "display": _f("price_display", "affichage des prix", "price display"),
            "decimals": _f("price_decimals", "décimales", "decimals"),
            "status": _f("cashregister_status", "état", "status"),
            "balance": _f("cash_balance", "solde de caisse", "cash balance"),
            "receipt_format": _f("receipt_format", "format du ticket", "receipt format"),
            "receipt_header": _f("receipt_header", "en-tête du ticket", "receipt header"),
            "receipt_footer": _f("receipt_footer", "pied du ticket", "receipt footer"),
            "receipt_show_seller": _f("receipt_show_seller", "imprimer le vendeur"),
            "color_primary": _f("color_primary", "couleur principale", "primary colour"),
            "color_secondary": _f("color_secondary", "couleur secondaire", "secondary colour"),
            "shop_trade_name": _f("shop_trade_name", "enseigne", "trade name"),
            "shop_company_name": _f("shop_company_name", "raison sociale", "company name"),
            "shop_street": _f("shop_street", "adresse", "address"),
            "shop_code": _f("shop_code", "code postal", "postal code"),
            "shop_city": _f("shop_city", "ville", "city"),
            "shop_siret": _f("shop_siret", "siret"),
            "shop_vat_number": _f("shop_vat_number", "tva intracommunautaire", "vat number"),
            "shop_phone": _f("shop_phone", "téléphone", "phone"),
        },
    ),
    "cash_transactions": ModuleRole(
        "CashTransactions",
        ("CashTransactions", "CashTransaction", "CashMovements"),
        ("Mouvements de caisse", "Mouvements de trésorerie", "Cash Transactions", "Cash movements"),
        fallback="mouvements d'espèces gardés dans le seul journal local",
        fields={
            "register": _f("cashregister_id", "caisse", "cash register"),
            "amount": _f("amount", "montant", "amount"),
            "type": _f("transaction_type", "type"),
            "description": _f("description", "description"),
            "date": _f("transaction_date", "date"),
            "related_to": _f("related_to", "document lié", "related"),
            "number": _f("cashtransaction_no", "numéro", "number"),
        },
    ),
}


class SchemaSource(Protocol):
    """What discovery needs from a client (KafineaClient satisfies it)."""

    def listtypes(self) -> dict[str, Any]: ...

    def describe(self, module: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class FieldMap:
    name: str | None
    found: bool
    source: str  # default | override | label | fallback | missing | assumed
    label: str | None = None


@dataclass(frozen=True)
class ModuleMap:
    role: str
    module: str | None
    found: bool
    source: str  # default | override | name | label | missing | assumed
    label: str | None = None
    id_prefix: str | None = None
    fallback: str = ""
    fields: dict[str, FieldMap] = field(default_factory=dict)


@dataclass(frozen=True)
class SchemaMap:
    modules: dict[str, ModuleMap]

    def has(self, role: str) -> bool:
        return self.modules[role].found

    def module(self, role: str) -> str:
        entry = self.modules.get(role)
        if entry is None or entry.module is None or not entry.found:
            raise SchemaError(f"aucun module Kafinea pour le rôle {role!r}")
        return entry.module

    def field(self, role: str, field_role: str) -> str:
        entry = self.modules[role].fields.get(field_role)
        if entry is None or entry.name is None or not entry.found:
            raise SchemaError(f"aucun champ pour {role}.{field_role}")
        return entry.name

    def field_or_none(self, role: str, field_role: str) -> str | None:
        entry = self.modules.get(role)
        found = entry.fields.get(field_role) if entry else None
        return found.name if found is not None and found.found else None

    def problems(self) -> list[str]:
        """Why the till cannot sell with this map (empty when it can)."""
        problems = []
        for role, spec in ROLES.items():
            entry = self.modules[role]
            if spec.required and not entry.found:
                problems.append(f"module pour {role} introuvable")
                continue
            if not entry.found:
                continue
            for name, field_spec in spec.fields.items():
                if field_spec.required and not entry.fields[name].found:
                    problems.append(f"champ {role}.{name} introuvable dans {entry.module}")
        return problems

    def to_json(self) -> dict[str, Any]:
        return {
            role: {
                "module": entry.module if entry.found else None,
                "found": entry.found,
                "source": entry.source,
                "label": entry.label,
                "fallback": None if entry.found else (entry.fallback or None),
                "fields": {
                    name: {
                        "field": f.name if f.found else None,
                        "found": f.found,
                        "source": f.source,
                    }
                    for name, f in entry.fields.items()
                },
            }
            for role, entry in self.modules.items()
        }


def default_schema(
    modules: Mapping[str, str] | None = None,
    fields: Mapping[str, Mapping[str, str]] | None = None,
) -> SchemaMap:
    """The map without asking the server (offline start): defaults plus overrides, assumed."""
    check_overrides(modules or {}, fields or {})
    result = {}
    for role, spec in ROLES.items():
        module_name = (modules or {}).get(role, spec.default)
        wanted = (fields or {}).get(role, {})
        result[role] = ModuleMap(
            role=role,
            module=module_name,
            found=True,
            source="assumed",
            fallback=spec.fallback,
            fields={
                name: FieldMap(wanted.get(name, f.default or f.fallback), True, "assumed")
                for name, f in spec.fields.items()
            },
        )
    return SchemaMap(result)


def check_overrides(modules: Mapping[str, str], fields: Mapping[str, Mapping[str, str]]) -> None:
    """Overrides must name known roles (a typo would otherwise be silently ignored)."""
    for role in modules:
        if role not in ROLES:
            known = ", ".join(ROLES)
            raise SchemaError(f"[kafinea.modules] {role} : rôle inconnu (connus : {known})")
    for role, names in fields.items():
        if role not in ROLES:
            raise SchemaError(f"[kafinea.fields.{role}] : rôle inconnu")
        for name in names:
            if name not in ROLES[role].fields:
                known = ", ".join(ROLES[role].fields)
                raise SchemaError(
                    f"[kafinea.fields.{role}] {name} : rôle de champ inconnu (connus : {known})"
                )


def _fold(text: str) -> str:
    """Compare labels without case, accents or HTML entities."""
    text = html.unescape(text).casefold()
    return "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).strip()


def _find_module(
    role: str, spec: ModuleRole, types: list[str], info: dict[str, Any], override: str | None
) -> tuple[str | None, str]:
    if override is not None:
        return (override, "override") if override in types else (override, "missing")
    if spec.default in types:
        return spec.default, "default"
    for name in spec.names:
        if name in types:
            return name, "name"
    wanted = {_fold(label) for label in spec.labels}
    for name in types:
        details = info.get(name) or {}
        labels = {_fold(str(details.get("label", ""))), _fold(str(details.get("singular", "")))}
        if labels & wanted and details.get("isEntity", True):
            return name, "label"
    return None, "missing"


def _find_field(
    spec: FieldRole, described: dict[str, dict[str, Any]], override: str | None
) -> FieldMap:
    if override is not None:
        entry = described.get(override)
        return FieldMap(
            override,
            entry is not None,
            "override" if entry else "missing",
            entry.get("label") if entry else None,
        )
    if spec.default and spec.default in described:
        return FieldMap(spec.default, True, "default", described[spec.default].get("label"))
    hints = [re.compile(r"(?<![a-z0-9])" + re.escape(_fold(h))) for h in spec.labels]
    for hint in hints:  # the first hint is the most specific: try it on every field first
        for name, entry in described.items():
            if hint.search(_fold(str(entry.get("label", "")))):
                return FieldMap(name, True, "label", entry.get("label"))
    if spec.fallback and spec.fallback in described:
        return FieldMap(spec.fallback, True, "fallback", described[spec.fallback].get("label"))
    return FieldMap(None, False, "missing")


def discover(
    source: SchemaSource,
    modules: Mapping[str, str] | None = None,
    fields: Mapping[str, Mapping[str, str]] | None = None,
) -> SchemaMap:
    """Ask the server (1 listtypes + 1 describe per found module) and build the map."""
    module_overrides = dict(modules or {})
    field_overrides = {k: dict(v) for k, v in (fields or {}).items()}
    check_overrides(module_overrides, field_overrides)
    listing = source.listtypes()
    types = [str(t) for t in listing.get("types", [])]
    info = listing.get("information") or {}
    result: dict[str, ModuleMap] = {}
    for role, spec in ROLES.items():
        name, how = _find_module(role, spec, types, info, module_overrides.get(role))
        if name is None or how == "missing":
            result[role] = ModuleMap(
                role=role,
                module=name,
                found=False,
                source="missing",
                fallback=spec.fallback,
                fields={f: FieldMap(None, False, "missing") for f in spec.fields},
            )
            continue
        description = source.describe(name)
        described = {
            str(f.get("name")): f for f in description.get("fields", []) if isinstance(f, dict)
        }
        wanted = field_overrides.get(role, {})
        result[role] = ModuleMap(
            role=role,
            module=name,
            found=True,
            source=how,
            label=str((info.get(name) or {}).get("label") or description.get("label") or ""),
            id_prefix=str(description.get("idPrefix") or "") or None,
            fallback=spec.fallback,
            fields={
                f: _find_field(field_spec, described, wanted.get(f))
                for f, field_spec in spec.fields.items()
            },
        )
    return SchemaMap(result)
