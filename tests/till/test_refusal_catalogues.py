"""The two catalogues of refusals and their raise sites agree.

Every refusal of `appliance.pos` and `appliance.till` is raised as `SomeError("key", name=...)`:
read from the source, each raise site must name a key of its own layer's catalogue and pass
exactly the parameters that key's template names (a missing one would raise KeyError in front
of the cashier; an extra one would be a value the sentence forgot), and every template must be
raised somewhere (no sentence left behind by a refactoring).
"""

from __future__ import annotations

import ast
import string
from dataclasses import dataclass
from pathlib import Path

import pytest

from appliance.pos import errors as pos
from appliance.pos.fiscal import MalformedPayload
from appliance.till import errors as till

PACKAGE = Path(__file__).resolve().parents[2] / "appliance"
CATALOGUES = {"pos": pos.REFUSALS, "till": till.REFUSALS}


def placeholders(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


def subclasses(base: type) -> set[type]:
    found = set(base.__subclasses__())
    for cls in list(found):
        found |= subclasses(cls)
    return found | {base}


REFUSAL_CLASSES = {cls.__name__ for cls in subclasses(pos.PosError) | subclasses(till.TillError)}


@dataclass(frozen=True)
class RaiseSite:
    where: str
    layer: str
    key: str | None  # None: not a string literal
    params: frozenset[str] | None  # None: `**mapping`, names unknown


def raise_sites() -> list[RaiseSite]:
    """Calls of a refusal class in the two layers, outside the catalogue modules themselves
    (whose `from_domain` forwards a key and parameters it received)."""
    sites = []
    for layer in CATALOGUES:
        for path in sorted((PACKAGE / layer).glob("*.py")):
            if path.name == "errors.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                    continue
                if node.func.id not in REFUSAL_CLASSES:
                    continue
                first = node.args[0] if node.args else None
                literal = isinstance(first, ast.Constant) and isinstance(first.value, str)
                names = [keyword.arg for keyword in node.keywords]
                sites.append(
                    RaiseSite(
                        f"{layer}/{path.name}:{node.lineno}",
                        layer,
                        first.value if literal else None,
                        None if None in names else frozenset(names),
                    )
                )
    return sites


def test_the_raise_sites_are_found():
    """The reading above sees the refusals it checks (else the tests below prove nothing)."""
    sites = raise_sites()
    assert len(sites) > 60
    assert {site.layer for site in sites} == {"pos", "till"}


def test_every_raise_site_names_a_key_of_its_layer_and_its_exact_parameters():
    wrong = []
    for site in raise_sites():
        catalogue = CATALOGUES[site.layer]
        if site.key is None or site.params is None:
            wrong.append(f"{site.where}: key and parameter names must be written out")
        elif site.key not in catalogue:
            wrong.append(f"{site.where}: {site.key!r} is not in the {site.layer} catalogue")
        elif site.params != placeholders(catalogue[site.key]):
            expected = sorted(placeholders(catalogue[site.key]))
            wrong.append(f"{site.where}: {site.key} takes {expected}, given {sorted(site.params)}")
    assert wrong == []


def test_every_template_is_raised_somewhere():
    raised = {(site.layer, site.key) for site in raise_sites()}
    unused = [
        f"{layer}:{key}"
        for layer, catalogue in CATALOGUES.items()
        for key in catalogue
        if (layer, key) not in raised
    ]
    assert unused == []


def test_the_two_catalogues_never_share_a_key():
    assert set(pos.REFUSALS) & set(till.REFUSALS) == set()


def test_a_domain_refusal_keeps_its_key_template_and_parameters_through_the_till():
    domain = pos.InvalidQuantity("sale_quantity_too_large", quantity="12000", limit="10000")
    error = till.from_domain(domain)
    assert isinstance(error, till.InvalidInput)
    assert (error.key, error.template, error.params) == (
        "sale_quantity_too_large",
        pos.REFUSALS["sale_quantity_too_large"],
        {"quantity": "12000", "limit": "10000"},
    )
    assert str(error) == error.message == str(domain)
    assert error.message == "quantité invalide : 12000 (au plus 10000 par ligne)"
    barcode = till.from_domain(pos.InvalidBarcode("barcode_digits", text="'12a'"))
    assert isinstance(barcode, till.InvalidBarcode)
    assert till.from_domain(MalformedPayload("malformed_payload", detail="x")).key == (
        "malformed_payload"
    )


def test_a_refusal_is_translated_by_its_template_then_filled_in():
    error = till.SellerError("unknown_seller", name="Léa")
    english = {till.REFUSALS["unknown_seller"]: "seller unknown to this register: {name}"}
    assert error.translated(lambda text: english.get(text, text)) == (
        "seller unknown to this register: Léa"
    )
    assert error.translated(lambda text: text) == error.message == (
        "vendeur inconnu de cette caisse : Léa"
    )


def test_a_missing_parameter_or_an_unknown_key_fails_where_it_is_raised():
    with pytest.raises(KeyError):
        till.SellerError("unknown_seller")
    with pytest.raises(KeyError):
        till.SellerError("no_such_refusal")
    with pytest.raises(KeyError):
        pos.UnknownLine("unknown_line")
