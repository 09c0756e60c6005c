"""The demo shop the sandbox starts with: "Épicerie Martin", a French grocery in Rennes.

What a technician would find in a real Kafinea set up by its setup guide: a technical user
whose user name is an e-mail, a default customer account "Client comptoir", a register
"Caisse 1" with three sellers, cash/card/cheque, a network printer address and the shop's
legal identity, and a catalogue with every French VAT rate (20, 10, 5.5, 2.1), valid EAN-13
barcodes, a few products without category (never shown on the till) and a few inactive ones.
`extra_products` adds generated products for benchmarks, inserted in bulk.
"""

from __future__ import annotations

import functools
import json
import random
import secrets
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from appliance.kafinea.sandbox.modules import MODULES, PRODUCT_CATEGORIES
from appliance.kafinea.sandbox.store import Store
from appliance.kafinea.sandbox.values import now_text

TECHNICAL_USER = "caisse@epicerie-martin.fr"
REGISTER = "Caisse 1"
DEFAULT_ACCOUNT = "Client comptoir"
SELLERS = (("Marie", "Dupont"), ("Karim", "Benali"), ("Julie", "Martin"))
MAX_EXTRA_PRODUCTS = 200_000

# The shop's customer accounts (name, street, postcode, city, phone, e-mail): enough to try the
# till's account search, with accents, both apostrophes and phone numbers in several spellings.
CUSTOMER_ACCOUNTS: tuple[tuple[str, str, str, str, str, str], ...] = (
    (DEFAULT_ACCOUNT, "Vente au comptoir", "35000", "Rennes", "", ""),
    (
        "Mairie de Cesson-Sévigné",
        "1 esplanade de l'Hôtel de Ville",
        "35510",
        "Cesson-Sévigné",
        "02 99 83 52 00",
        "accueil@ville-cesson-sevigne.fr",
    ),
    ("Boulangerie Le Fournil", "8 rue Saint-Malo", "35000", "Rennes", "02 99 30 12 45", ""),
    (
        "Association Les Amis du Livre",
        "3 place Sainte-Anne",
        "35000",
        "Rennes",
        "",
        "contact@amisdulivre.fr",
    ),
    ("L'Atelier d'Éloïse", "14 rue de Penhoët", "35000", "Rennes", "06 12 34 56 78", ""),
    ("Café de l’Opéra", "2 place de la Mairie", "35000", "Rennes", "02.99.79.11.22", ""),
    ("Crêperie Ty Gwenn", "21 rue de la Soif", "35000", "Rennes", "+33 2 99 31 44 55", ""),
    (
        "Hélène Lefèvre",
        "5 allée des Tilleuls",
        "35700",
        "Rennes",
        "06 98 76 54 32",
        "helene.lefevre@orange.fr",
    ),
    ("François Le Goff", "17 boulevard de Sévigné", "35700", "Rennes", "07 61 22 33 44", ""),
    ("Zoé Ménard", "9 rue d'Antrain", "35700", "Rennes", "", "zoe.menard@laposte.net"),
    ("Noël Béranger", "40 avenue Aristide Briand", "35000", "Rennes", "06 45 67 89 01", ""),
    ("Gaëlle Kerhervé", "3 impasse du Moulin", "35510", "Cesson-Sévigné", "06 07 08 09 10", ""),
    ("Jérôme D'Aubigné", "11 rue Châteaubriand", "35000", "Rennes", "", "jerome.daubigne@free.fr"),
    ("Maison Guérin & Fils", "6 quai Lamennais", "35000", "Rennes", "02 99 78 00 01", ""),
    ("École maternelle Jean-Macé", "1 rue Jean Macé", "35700", "Rennes", "02 99 87 65 43", ""),
    (
        "Crèche Les P'tits Loups",
        "12 rue de Fougères",
        "35700",
        "Rennes",
        "",
        "creche@ptitsloups.fr",
    ),
    ("Fleuriste Au Jardin d’Aurélie", "25 rue Vasselot", "35000", "Rennes", "02 99 40 50 60", ""),
    ("Théâtre du Vieux-Saint-Étienne", "14 rue d'Échange", "35000", "Rennes", "", ""),
    ("Cédric Prévost", "8 rue Poullain-Duparc", "35000", "Rennes", "06 55 44 33 22", ""),
    ("Amélie Lécuyer", "2 rue de Brest", "35000", "Rennes", "07 70 80 90 00", "amelie.l@gmail.com"),
    ("Comité des fêtes de Thorigné", "Place de l'Église", "35235", "Thorigné-Fouillard", "", ""),
    ("Épicerie solidaire L'Entraide", "30 rue de Nantes", "35000", "Rennes", "02 23 40 11 12", ""),
    ("Hôtel Le Châtelet", "1 rue de la Monnaie", "35000", "Rennes", "02 99 79 39 39", ""),
    ("Traiteur Bréhat", "55 rue de Saint-Brieuc", "35000", "Rennes", "06 31 41 59 26", ""),
    ("Yannick Le Dréau", "4 rue Saint-Hélier", "35000", "Rennes", "", "y.ledreau@wanadoo.fr"),
    ("Chloé Bénard", "18 rue Legraverend", "35000", "Rennes", "06 27 18 28 18", ""),
)

_RATES = {"20": "tax1", "10": "tax2", "5.5": "tax3", "2.1": "tax4"}

# (name, price incl. VAT in cents, VAT rate, unit) per category.
CATALOGUE: dict[str, list[tuple[str, int, str, str]]] = {
    "Épicerie salée": [
        ("Pâtes penne rigate 500 g", 129, "5.5", "Paquet"),
        ("Riz basmati 1 kg", 289, "5.5", "Paquet"),
        ("Huile d'olive vierge extra 75 cl", 899, "5.5", "Unité"),
        ("Sel de Guérande 500 g", 245, "5.5", "Paquet"),
        ("Moutarde de Dijon 210 g", 165, "5.5", "Unité"),
        ("Sardines à l'huile d'olive", 349, "5.5", "Boîte"),
        ("Lentilles vertes du Puy 500 g", 329, "5.5", "Paquet"),
        ("Soupe de poissons 780 ml", 459, "5.5", "Unité"),
        ("Cornichons extra-fins 370 g", 219, "5.5", "Unité"),
    ],
    "Épicerie sucrée": [
        ("Confiture de fraises 370 g", 319, "5.5", "Unité"),
        ("Miel de Bretagne 500 g", 850, "5.5", "Unité"),
        ("Tablette chocolat noir 70 % 100 g", 249, "20", "Unité"),
        ("Caramels au beurre salé 150 g", 399, "20", "Paquet"),
        ("Galettes pur beurre 125 g", 229, "5.5", "Paquet"),
        ("Sucre en morceaux 1 kg", 185, "5.5", "Paquet"),
        ("Crêpes dentelle 100 g", 289, "5.5", "Paquet"),
        ("Pâte à tartiner noisettes 400 g", 429, "5.5", "Unité"),
    ],
    "Boissons": [
        ("Eau minérale 1,5 L", 65, "5.5", "Unité"),
        ("Jus de pomme artisanal 1 L", 349, "5.5", "Unité"),
        ("Limonade bretonne 33 cl", 179, "5.5", "Unité"),
        ("Café moulu pur arabica 250 g", 469, "5.5", "Paquet"),
        ("Thé vert bio 20 sachets", 359, "5.5", "Boîte"),
        ("Sirop de menthe 70 cl", 299, "5.5", "Unité"),
        ("Cola 1,5 L", 199, "5.5", "Unité"),
        ("Chocolat en poudre 800 g", 529, "5.5", "Boîte"),
    ],
    "Vins et spiritueux": [
        ("Cidre brut fermier 75 cl", 450, "20", "Unité"),
        ("Muscadet sur lie 2023", 795, "20", "Unité"),
        ("Bordeaux supérieur 2021", 1190, "20", "Unité"),
        ("Chouchen 50 cl", 1450, "20", "Unité"),
        ("Bière blonde artisanale 33 cl", 295, "20", "Unité"),
        ("Champagne brut 75 cl", 3290, "20", "Unité"),
        ("Whisky breton 70 cl", 3990, "20", "Unité"),
        ("Pommeau de Bretagne 70 cl", 1650, "20", "Unité"),
    ],
    "Crèmerie": [
        ("Beurre demi-sel 250 g", 275, "5.5", "Unité"),
        ("Lait entier bio 1 L", 139, "5.5", "Unité"),
        ("Yaourts nature x4", 189, "5.5", "Paquet"),
        ("Camembert de Normandie AOP", 349, "5.5", "Unité"),
        ("Comté 18 mois 200 g", 549, "5.5", "Unité"),
        ("Œufs plein air x6", 299, "5.5", "Boîte"),
        ("Crème fraîche épaisse 20 cl", 169, "5.5", "Unité"),
        ("Gros lait 1 L", 199, "5.5", "Unité"),
    ],
    "Fruits et légumes": [
        ("Pommes Reinette (kg)", 349, "5.5", "Kg"),
        ("Bananes (kg)", 229, "5.5", "Kg"),
        ("Tomates grappe (kg)", 399, "5.5", "Kg"),
        ("Carottes des sables (kg)", 189, "5.5", "Kg"),
        ("Artichaut de Bretagne", 150, "5.5", "Unité"),
        ("Salade batavia", 119, "5.5", "Unité"),
        ("Oignons rosés de Roscoff (kg)", 459, "5.5", "Kg"),
        ("Citrons jaunes (filet 500 g)", 249, "5.5", "Paquet"),
    ],
    "Hygiène": [
        ("Savon de Marseille 300 g", 399, "20", "Unité"),
        ("Dentifrice menthe 75 ml", 259, "20", "Unité"),
        ("Shampooing doux 250 ml", 429, "20", "Unité"),
        ("Mouchoirs x10 paquets", 199, "20", "Paquet"),
        ("Gel douche 250 ml", 289, "20", "Unité"),
        ("Coton-tiges x200", 179, "20", "Boîte"),
        ("Brosse à dents souple", 249, "20", "Unité"),
    ],
    "Entretien": [
        ("Liquide vaisselle 500 ml", 219, "20", "Unité"),
        ("Éponges x3", 189, "20", "Paquet"),
        ("Lessive liquide 1,5 L", 899, "20", "Unité"),
        ("Vinaigre blanc 1 L", 119, "20", "Unité"),
        ("Sacs poubelle 30 L x20", 259, "20", "Paquet"),
        ("Papier essuie-tout x2", 249, "20", "Paquet"),
        ("Bicarbonate de soude 500 g", 299, "20", "Paquet"),
    ],
    "Papeterie": [
        ("Cahier grands carreaux 96 p.", 245, "20", "Unité"),
        ("Stylo bille bleu", 95, "20", "Unité"),
        ("Enveloppes x25", 299, "20", "Paquet"),
        ("Carte postale Rennes", 120, "20", "Unité"),
        ("Ruban adhésif", 189, "20", "Unité"),
        ("Crayon à papier HB", 75, "20", "Unité"),
        ("Carnet de timbres Lettre verte x12", 1680, "20", "Paquet"),
    ],
    "Librairie": [
        ("Le Monde (quotidien)", 350, "2.1", "Unité"),
        ("Ouest-France (quotidien)", 150, "2.1", "Unité"),
        ("Magazine jardinage mensuel", 595, "2.1", "Unité"),
        ("Guide de randonnée Bretagne", 1490, "5.5", "Unité"),
        ("Roman poche", 890, "5.5", "Unité"),
        ("Livre de cuisine bretonne", 2490, "5.5", "Unité"),
        ("Bande dessinée album", 1595, "5.5", "Unité"),
    ],
    "Snacking": [
        ("Sandwich jambon-beurre", 450, "10", "Unité"),
        ("Café expresso à emporter", 150, "10", "Unité"),
        ("Galette-saucisse", 390, "10", "Unité"),
        ("Salade composée à emporter", 690, "10", "Unité"),
        ("Part de far breton", 280, "10", "Unité"),
        ("Kouign-amann individuel", 320, "10", "Unité"),
    ],
}
UNCATEGORISED = [
    ("Sac cabas réutilisable", 150, "20", "Unité"),
    ("Consigne bouteille verre", 20, "20", "Unité"),
    ("Article divers atelier", 500, "20", "Unité"),
]
DISCONTINUED = {"Muscadet sur lie 2023", "Thé vert bio 20 sachets", "Carte postale Rennes"}


@dataclass(frozen=True)
class SeedInfo:
    username: str
    access_key: str
    register: str


def ean13(first12: str) -> str:
    """Append the EAN-13 check digit (weights 1,3 from the left)."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def luhn_complete(digits: str) -> str:
    """Append the Luhn digit (SIREN/SIRET use it)."""
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return digits + str((10 - total % 10) % 10)


def _ht(ttc_cents: int, rate: str) -> str:
    """Pre-tax unit price with 2 decimals as a shop owner types it in Kafinea."""
    ht = (Decimal(ttc_cents) / 100 / (1 + Decimal(rate) / 100)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    return f"{ht:.8f}"


@functools.cache
def _template(module: str) -> tuple[tuple[str, str], ...]:
    return tuple((f.name, f.default or "") for f in MODULES[module].fields if f.editable)


def _blank(module: str) -> dict[str, str]:
    return dict(_template(module))


def _product(
    number: int,
    name: str,
    category: str,
    *,
    ttc: int,
    rate: str,
    unit: str,
    ean: str,
    active: bool,
) -> dict[str, Any]:
    data: dict[str, Any] = _blank("Products")
    for key in _RATES.values():
        data.pop(key, None)
    data.update(
        {
            "productname": name,
            "product_no": f"PRO{number}",
            "productcode": f"REF-{number:05d}",
            "cf_853": ean,
            "productcategory": category,
            "discontinued": "1" if active else "0",
            "unit_price": _ht(ttc, rate),
            "usageunit": unit,
            "qtyinstock": "50.000",
            "assigned_user_id": "19x1",
            "source": "CRM",
            "taxes": {_RATES[rate]: f"{float(rate):.3f}"},
        }
    )
    return data


def _past(rng: random.Random, now: float) -> str:
    """A modification time within the past year: real catalogues are edited over time."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now - rng.randrange(365 * 86400)))


def _insert(store: Store, module: str, data: dict[str, Any], now: str) -> str:
    record_id = store.insert(module, {}, now)
    number_field = MODULES[module].number_field
    if number_field and not data.get(number_field):
        number = store.next_number(module)
        data[number_field] = f"{MODULES[module].number_prefix}{number}"
    store.save(record_id, data, now)
    return f"{MODULES[module].prefix}x{record_id}"


def seed_shop(store: Store, rng: random.Random) -> SeedInfo:
    """Create the demo shop in an empty store; returns how to log in."""
    now = now_text()
    alphabet = string.ascii_letters + string.digits
    access_key = "".join(secrets.choice(alphabet) for _ in range(16))
    users = [
        ("Caisse", "Épicerie Martin", TECHNICAL_USER),
        *(
            (first, last, f"{first.lower()}.{last.lower()}@epicerie-martin.fr")
            for first, last in SELLERS
        ),
    ]
    user_ids = []
    for first, last, email in users:
        data = {
            **_blank("Users"),
            "user_name": email,
            "first_name": first,
            "last_name": last,
            "email1": email,
            "status": "Active",
            "is_admin": "0",
            "no_of_currency_decimals": "2",
            "currency_decimal_separator": ",",
            "currency_grouping_separator": " ",
            "time_zone": "Europe/Paris",
            "language": "fr_fr",
            "date_format": "dd-mm-yyyy",
            "hour_format": "24",
        }
        user_ids.append(_insert(store, "Users", data, now))
    technical_id = int(user_ids[0].split("x")[1])
    store.set_meta(f"accesskey:{technical_id}", access_key)
    currency = _insert(
        store,
        "Currency",
        {
            "currency_name": "Euro",
            "currency_code": "EUR",
            "currency_symbol": "€",
            "conversion_rate": "1.00000",
            "currency_status": "Active",
        },
        now,
    )
    for user in user_ids:
        found = store.get(int(user.split("x")[1]))
        assert found is not None
        store.save(int(user.split("x")[1]), {**found[2], "currency_id": currency}, now)

    accounts = {}
    for name, street, code, city, phone, email in CUSTOMER_ACCOUNTS:
        data = {
            **_blank("Accounts"),
            "accountname": name,
            "account_type": "Client",
            "phone": phone,
            "email1": email,
            "bill_street": street,
            "bill_code": code,
            "bill_city": city,
            "bill_country": "France",
            "ship_street": street,
            "ship_code": code,
            "ship_city": city,
            "assigned_user_id": user_ids[0],
        }
        accounts[name] = _insert(store, "Accounts", data, now)

    siren = luhn_complete("83245123")
    siret = luhn_complete(siren + "0001")
    vat = f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    sellers = " |##| ".join(f"{first} {last}" for first, last in SELLERS)
    register_common = {
        **_blank("CashRegisters"),
        "technical_user_id": user_ids[0],
        "account_id": accounts[DEFAULT_ACCOUNT],
        "cashregister_status": "Fermée",
        "cash_balance": "0.00000000",
        "payment_methods": "Espèces |##| Carte bancaire |##| Chèque",
        "cash_rounding": "Aucun",
        "price_decimals": "2",
        "receipt_format": "80 mm",
        "receipt_header": "Merci de votre visite !",
        "receipt_footer": "Échange sous 15 jours sur présentation du ticket.",
        "receipt_show_seller": "1",
        "color_primary": "#1F5F8B",
        "color_secondary": "#F2C14E",
        "shop_trade_name": "Épicerie Martin",
        "shop_company_name": "SARL Martin & Fils",
        "shop_street": "12 rue de la République",
        "shop_code": "35000",
        "shop_city": "Rennes",
        "shop_siret": siret,
        "shop_vat_number": vat,
        "shop_phone": "02 99 12 34 56",
        "assigned_user_id": user_ids[0],
    }
    _insert(
        store,
        "CashRegisters",
        {
            **register_common,
            "cashregister_name": REGISTER,
            "cashregister_no": "1",
            "sellers": sellers,
            "price_display": "TTC",
            "printer_address": "192.168.1.50:9100",
        },
        now,
    )
    _insert(
        store,
        "CashRegisters",
        {
            **register_common,
            "cashregister_name": "Caisse 2",
            "cashregister_no": "2",
            "sellers": "",
            "price_display": "HT",
            "printer_address": "",
        },
        now,
    )

    number = store.next_number("Products", 0) or 1
    rows = []
    items = [(c, p) for c, products in CATALOGUE.items() for p in products]
    items += [("", p) for p in UNCATEGORISED]
    for category, (name, ttc, rate, unit) in items:
        ean = ean13("376" + f"{rng.randrange(10**9):09d}")
        rows.append(
            _product(
                number,
                name,
                category,
                ttc=ttc,
                rate=rate,
                unit=unit,
                ean=ean,
                active=name not in DISCONTINUED,
            )
        )
        number += 1
    store.next_number("Products", len(rows))
    clock = time.time()
    stamps = sorted(_past(rng, clock) for _ in rows)
    store.bulk_insert(
        "Products",
        (
            (stamp, stamp, json.dumps(r, ensure_ascii=False))
            for stamp, r in zip(stamps, rows, strict=True)
        ),
    )
    store.set_meta("seeded", now)
    return SeedInfo(TECHNICAL_USER, access_key, REGISTER)


def add_products(store: Store, count: int, rng: random.Random) -> None:
    """Append `count` generated products (bulk insert; 200,000 take a few seconds)."""
    if not 0 <= count <= MAX_EXTRA_PRODUCTS:
        raise ValueError(f"--products must be between 0 and {MAX_EXTRA_PRODUCTS}")
    if count == 0:
        return
    first = store.next_number("Products", count)
    generated = int(store.get_meta("generated") or "0")
    clock = time.time()
    categories = [c for c in PRODUCT_CATEGORIES if c]

    def rows() -> Iterator[tuple[str, str, str]]:
        for i in range(count):
            serial = generated + i
            category = categories[serial % len(categories)]
            rate = "20" if category in ("Hygiène", "Entretien", "Papeterie") else "5.5"
            ttc = 50 + rng.randrange(5000)
            data = _product(
                first + i,
                f"Article {category.lower()} n° {serial + 1}",
                category,
                ttc=ttc,
                rate=rate,
                unit="Unité",
                ean=ean13(f"379{serial:09d}"),
                active=True,
            )
            stamp = _past(rng, clock)
            yield stamp, stamp, json.dumps(data, ensure_ascii=False)

    store.bulk_insert("Products", rows())
    store.set_meta("generated", str(generated + count))


def seed_info(store: Store) -> SeedInfo | None:
    """How to log in to an already seeded store (None when empty)."""
    if store.get_meta("seeded") is None:
        return None
    rows = store.select(
        "SELECT id, json_extract(data, '$.user_name') FROM entity WHERE module = 'Users'"
        " ORDER BY id LIMIT 1",
        (),
    )
    key = store.get_meta(f"accesskey:{rows[0][0]}")
    assert key is not None
    return SeedInfo(str(rows[0][1]), key, REGISTER)
