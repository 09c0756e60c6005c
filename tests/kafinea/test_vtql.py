"""The VTQL builder: every value quoted, identifiers checked, OR-groups of AND-terms, paging."""

from __future__ import annotations

from decimal import Decimal

import pytest

from appliance.kafinea.vtql import PAGE_SIZE, VtqlError, changed_since, cond, pages, quote, select


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("abc", "'abc'"),
        ("l'huile", "'l''huile'"),
        ("a'; DROP TABLE x; --", "'a''; DROP TABLE x; --'"),
        (42, "42"),
        (-3, "-3"),
        (Decimal("1.50"), "'1.50'"),
        ("2024-01-31", "'2024-01-31'"),
        ("%smith%", "'%smith%'"),
        (True, "'1'"),
    ],
)
def test_quote(value: object, text: str) -> None:
    assert quote(value) == text  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["", "back\\slash", "new\nline", 1.5, None])
def test_quote_refuses_what_vtiger_cannot_read(value: object) -> None:
    with pytest.raises(VtqlError):
        quote(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["product name", "a;b", "x'", "1abc", "", "a.b"])
def test_identifiers_are_checked(name: str) -> None:
    with pytest.raises(VtqlError, match=r"^identifiant VTQL invalide : "):
        select(name)
    with pytest.raises(VtqlError):
        select("Products", name)
    with pytest.raises(VtqlError):
        select("Products").where(cond(name, "=", "x")).render()


def test_render_full_statement() -> None:
    query = (
        select("Products", "productname", "unit_price")
        .where(cond("productcategory", "=", "Boissons"), cond("discontinued", "=", "1"))
        .or_where(cond("cf_853", "IN", ["3760000000001", "376'1"]))
        .order_by("productname", descending=True)
        .limit(10, 20)
    )
    assert query.render() == (
        "SELECT productname,unit_price FROM Products WHERE productcategory = 'Boissons'"
        " AND discontinued = '1' OR cf_853 IN ('3760000000001','376''1')"
        " ORDER BY productname DESC LIMIT 20,10;"
    )
    assert select("Products").counting().render() == "SELECT count(*) FROM Products;"


def test_bad_operator_and_empty_in() -> None:
    with pytest.raises(VtqlError):
        select("Products").where(cond("id", "<>", 3)).render()
    with pytest.raises(VtqlError):
        select("Products").where(cond("id", "IN", [])).render()


def test_pages_are_stable_and_cover_everything() -> None:
    generator = pages(select("Products", "productname"))
    first, second = next(generator), next(generator)
    assert first.render().endswith("ORDER BY id LIMIT 100;")
    assert second.render().endswith(f"ORDER BY id LIMIT {PAGE_SIZE},100;")


def test_changed_since_uses_inclusive_bound() -> None:
    query = changed_since(select("Products"), "2026-01-02 03:04:05")
    assert query.render() == "SELECT * FROM Products WHERE modifiedtime >= '2026-01-02 03:04:05';"
    assert changed_since(select("Products"), None).render() == "SELECT * FROM Products;"
