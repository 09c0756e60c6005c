"""The sandbox answers like a real vtiger 8.2 server with Kafinea's modules, quirks included.

These tests speak raw HTTP with `requests` (the client never sends malformed requests), so
they also pin the wire format the client relies on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import requests

from appliance.kafinea.sandbox.server import SandboxHandle


def _md5(data: bytes) -> hashlib._Hash:
    return hashlib.md5(data)  # noqa: S324 - the protocol's own login scheme


class Raw:
    """A tiny raw webservice caller (GET/POST chosen by the test)."""

    def __init__(self, sandbox: SandboxHandle) -> None:
        self.endpoint = sandbox.url + "/webservice.php"
        self.sandbox = sandbox
        self.http = requests.Session()
        self.session = ""

    def get(self, **params: str) -> requests.Response:
        return self.http.get(self.endpoint, params=params, timeout=5)

    def post(self, **data: str) -> requests.Response:
        return self.http.post(self.endpoint, data=data, timeout=5)

    def token(self) -> str:
        answer = self.get(operation="getchallenge", username=self.sandbox.username).json()
        return str(answer["result"]["token"])

    def login(self) -> dict[str, Any]:
        digest = _md5((self.token() + self.sandbox.access_key).encode()).hexdigest()
        answer = self.post(operation="login", username=self.sandbox.username, accessKey=digest)
        result = answer.json()["result"]
        self.session = result["sessionName"]
        return dict(result)

    def call(self, method: str, **params: str) -> dict[str, Any]:
        send = self.get if method == "GET" else self.post
        response = send(sessionName=self.session, **params)
        assert response.status_code == 200, response.status_code
        return dict(response.json())

    def ok(self, method: str, **params: str) -> Any:
        answer = self.call(method, **params)
        assert answer["success"] is True, answer
        return answer["result"]

    def error(self, method: str, **params: str) -> tuple[str, str]:
        answer = self.call(method, **params)
        assert answer["success"] is False, answer
        assert "result" not in answer
        return answer["error"]["code"], answer["error"]["message"]

    def query(self, text: str) -> Any:
        return self.ok("GET", operation="query", query=text)

    def create(self, module: str, element: dict[str, Any]) -> dict[str, Any]:
        return dict(
            self.ok("POST", operation="create", elementType=module, element=json.dumps(element))
        )


@pytest.fixture
def raw(sandbox: SandboxHandle) -> Iterator[Raw]:
    caller = Raw(sandbox)
    caller.login()
    yield caller
    caller.http.close()


# ----------------------------------------------------------------------------- transport


@pytest.mark.parametrize(
    "params",
    [
        {"operation": "nosuchop"},
        {},
        {"operation": "listtypes", "format": "xml"},
        {"operation": "sync", "modifiedTime": "0"},
        {"operation": "retrieve_inventory", "id": "7x1"},
    ],
)
def test_http500_with_empty_body(raw: Raw, params: dict[str, str]) -> None:
    response = raw.get(sessionName=raw.session, **params)
    assert response.status_code == 500
    assert response.content == b""


def test_logout_is_a_500_and_the_session_survives(raw: Raw) -> None:
    response = raw.post(operation="logout", sessionName=raw.session)
    assert response.status_code == 500 and response.content == b""
    assert raw.ok("GET", operation="listtypes")["types"]


def test_login_result_has_vtiger_and_kafinea_keys(sandbox: SandboxHandle) -> None:
    result = Raw(sandbox).login()
    assert result["sessionName"] == result["sessionId"]
    assert result["userId"] == "19x1"
    assert result["username"] == sandbox.username == "caisse@epicerie-martin.fr"
    assert {"version", "vtigerVersion", "kafineaVersion", "is_admin", "date_format"} <= set(result)


def test_parameters_come_only_from_the_operation_method(raw: Raw, sandbox: SandboxHandle) -> None:
    digest = _md5((raw.token() + sandbox.access_key).encode()).hexdigest()
    as_get = raw.get(operation="login", username=sandbox.username, accessKey=digest).json()
    assert as_get["error"]["code"] == "INVALID_AUTH_TOKEN"
    code, message = raw.error("POST", operation="query", query="SELECT * FROM Accounts;")
    assert (code, message) == (
        "ACCESS_DENIED",
        "Permission to perform the operation is denied for query",
    )
    code, _ = raw.error("GET", operation="create", elementType="Accounts", element="{}")
    assert code == "ACCESS_DENIED"


def test_challenge_rules(raw: Raw, sandbox: SandboxHandle) -> None:
    stale = raw.get(operation="getchallenge", username=sandbox.username, sessionName="deadbeef")
    assert stale.json()["error"]["code"] == "INVALID_SESSIONID"
    token = raw.token()
    upper = _md5((token + sandbox.access_key).encode()).hexdigest().upper()
    answer = raw.post(operation="login", username=sandbox.username, accessKey=upper).json()
    assert answer["error"]["code"] == "INVALID_USER_CREDENTIALS"
    answer = raw.post(operation="login", username=sandbox.username, accessKey=sandbox.access_key)
    assert answer.json()["error"]["code"] == "INVALID_USER_CREDENTIALS"
    digest = _md5((token + sandbox.access_key).encode()).hexdigest()
    for _ in range(2):  # a token serves for a second login
        answer = raw.post(operation="login", username=sandbox.username, accessKey=digest).json()
        assert answer["success"] is True
    unknown = raw.post(operation="login", username="x@y.fr", accessKey=digest).json()
    assert unknown["error"]["code"] == "INVALID_AUTH_TOKEN"
    assert raw.get(operation="getchallenge").json()["error"] == {
        "code": "ACCESS_DENIED",
        "message": "No username given",
    }


def test_session_required(raw: Raw) -> None:
    for session in ("", "null", "NULL"):
        answer = raw.get(operation="listtypes", sessionName=session).json()
        assert answer["error"]["code"] == "AUTHENTICATION_REQUIRED"
    answer = raw.get(operation="listtypes", sessionName="0123456789abcdef").json()
    assert answer["error"]["code"] == "INVALID_SESSIONID"


# ----------------------------------------------------------------------------- VTQL


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("SELECT * FROM Products", "QUERY_SYNTAX_ERROR"),
        ("SELECT * FROM Products WHERE (productcategory = 'Boissons');", "QUERY_SYNTAX_ERROR"),
        ("SELECT * FROM Products WHERE productcategory <> 'Boissons';", "QUERY_SYNTAX_ERROR"),
        ("SELECT * FROM Products WHERE productname = 'l\\'huile';", "QUERY_SYNTAX_ERROR"),
        ("SELECT * FROM Products WHERE modifiedtime > 2024-01-31;", "QUERY_SYNTAX_ERROR"),
        ("SELECT * FROM Products WHERE unit_price > 1.5;", "INTERNAL_SERVER_ERROR"),
        ('SELECT * FROM Products WHERE productname = "Cola 1,5 L";', "INTERNAL_SERVER_ERROR"),
        ("SELECT * FROM Products WHERE productname = '';", "INTERNAL_SERVER_ERROR"),
        ("SELECT * FROM Products WHERE productname LIKE %Cola%;", "INTERNAL_SERVER_ERROR"),
        ("SELECT * FROM products;", "ACCESS_DENIED"),
        ("SELECT nosuchfield FROM Products;", "ACCESS_DENIED"),
        ("SELECT * FROM Products WHERE nosuchfield = 'x';", "ACCESS_DENIED"),
        ("SELECT * FROM Products WHERE tax1 = '20';", "ACCESS_DENIED"),
        ("SELECT * FROM Invoice WHERE account_id = 12;", "INVALID_ID_ATTRIBUTE"),
    ],
)
def test_vtql_failure_modes(raw: Raw, query: str, code: str) -> None:
    assert raw.error("GET", operation="query", query=query)[0] == code


def test_vtql_quiet_failures_answer_an_empty_list(raw: Raw) -> None:
    assert raw.query("SELECT * FROM Products WHERE productcategory = Boissons;") == []
    assert raw.query("SELECT * FROM Products ORDER BY nosuchfield;") == []


def test_vtql_semantics(raw: Raw) -> None:
    assert raw.query("SELECT count(*) FROM Products;") == [{"count": "86"}]
    capped = raw.query("SELECT productname FROM Products LIMIT 0,500;")
    assert len(capped) == 86 and set(capped[0]) == {"productname", "id"}
    escaped = raw.query(
        "SELECT productname FROM Products WHERE productname = 'Sardines à l''huile d''olive';"
    )
    assert [r["productname"] for r in escaped] == ["Sardines à l'huile d'olive"]
    case = raw.query("SELECT productname FROM Products WHERE productname LIKE '%SARDINES%';")
    assert len(case) == 1
    # AND binds tighter than OR: (Boissons AND inactive) OR Crèmerie
    mixed = raw.query(
        "SELECT productname,productcategory,discontinued FROM Products WHERE"
        " productcategory = 'Boissons' AND discontinued = '0' OR productcategory = 'Crèmerie';"
    )
    boissons = [r for r in mixed if r["productcategory"] == "Boissons"]
    assert [r["productname"] for r in boissons] == ["Thé vert bio 20 sachets"]
    assert sum(r["productcategory"] == "Crèmerie" for r in mixed) == 8
    by_id = raw.query(f"SELECT productname FROM Products WHERE id = '{escaped[0]['id']}';")  # noqa: S608
    assert by_id == escaped
    cheap = raw.query(
        "SELECT unit_price FROM Products WHERE unit_price < '0.20' ORDER BY unit_price;"
    )
    assert cheap and all(Decimal(r["unit_price"]) < Decimal("0.20") for r in cheap)


# ----------------------------------------------------------------------------- records


def test_products_taxes_only_in_retrieve(raw: Raw) -> None:
    row = raw.query("SELECT * FROM Products WHERE productname = 'Le Monde (quotidien)';")[0]
    assert not any(k.startswith("tax") and k[3:].isdigit() for k in row)
    assert "label" not in row
    record = raw.ok("GET", operation="retrieve", id=row["id"])
    assert record["tax4"] == "2.100"
    assert record["unit_price"] == "3.43000000"
    assert record["discontinued"] == "1"
    assert record["currency1"] == 3.43
    assert record["label"] == "Le Monde (quotidien)"


def test_decimal_comma_in_price_is_a_bare_500(raw: Raw) -> None:
    response = raw.post(
        sessionName=raw.session,
        operation="create",
        elementType="Products",
        element=json.dumps({"productname": "Test", "unit_price": "2,50"}),
    )
    assert (response.status_code, response.content) == (500, b"")


def test_loose_create_validation(raw: Raw) -> None:
    code, message = raw.error("POST", operation="create", elementType="Accounts", element="{oops")
    assert (code, message) == ("MANDATORY_FIELDS_MISSING", "accountname does not have a value")
    account = raw.create(
        "Accounts",
        {
            "accountname": "Café & Cie <Rennes>",
            "colour": "red",
            "account_type": "Pas dans la liste",
        },
    )
    assert account["account_type"] == "Pas dans la liste"
    assert "colour" not in account
    assert account["label"] == "Café &amp; Cie &lt;Rennes&gt;"
    assert account["accountname"] == "Café & Cie <Rennes>"
    assert account["id"].startswith("11x")
    code, _ = raw.error(
        "POST",
        operation="create",
        elementType="Invoice",
        element=json.dumps({"subject": "x", "account_id": "14x1"}),
    )
    assert code == "REFERENCE_INVALID"


def _invoice(raw: Raw, tax_type: str, lines: list[dict[str, str]], **extra: str) -> dict[str, Any]:
    account = raw.query("SELECT id FROM Accounts WHERE accountname = 'Client comptoir';")[0]["id"]
    return raw.create(
        "Invoice",
        {
            "subject": "Ticket d'essai",
            "account_id": account,
            "bill_street": "Comptoir",
            "ship_street": "Comptoir",
            "productid": lines[0]["productid"],
            "hdnTaxType": tax_type,
            "LineItems": lines,
            **extra,
        },
    )


def _product_id(raw: Raw, name: str) -> str:
    rows = raw.query(f"SELECT id FROM Products WHERE productname = '{name}';")  # noqa: S608
    return str(rows[0]["id"])


def test_invoice_group_mode_and_answer_shapes(raw: Raw) -> None:
    a, b = _product_id(raw, "Cidre brut fermier 75 cl"), _product_id(raw, "Beurre demi-sel 250 g")
    invoice = _invoice(
        raw,
        "group",
        [
            {
                "productid": a,
                "quantity": "2",
                "listprice": "100",
                "tax1": "20",
                "comment": "Widget",
            },
            {"productid": b, "quantity": "1", "listprice": "50", "discount_percent": "10"},
        ],
    )
    assert invoice["hdnSubTotal"] == 245.0 and invoice["hdnGrandTotal"] == 294.0
    assert invoice["productid"] is None
    assert invoice["balance"] == "294.00000000"
    assert [line["parent_id"] for line in invoice["LineItems"]] == ["7xArray", "7xArray"]
    assert invoice["label"] == "Ticket d&#039;essai"
    assert invoice["LineItems"][0]["product_name"] == "Cidre brut fermier 75 cl"
    stored = raw.ok("GET", operation="retrieve", id=invoice["id"])
    assert stored["hdnGrandTotal"] == "294.00000000"
    assert stored["hdnSubTotal"] == "245.00000000"
    assert stored["invoice_no"].startswith("PROV-")


def test_invoice_individual_mode_is_not_rounded(raw: Raw) -> None:
    eau = _product_id(raw, "Eau minérale 1,5 L")  # 5.5 %
    invoice = _invoice(
        raw, "individual", [{"productid": eau, "quantity": "1", "listprice": "9.761"}]
    )
    assert Decimal(str(invoice["hdnGrandTotal"])) == Decimal("10.297855")
    assert invoice["pre_tax_total"] == 9.761


def test_invoice_mandatory_rules(raw: Raw) -> None:
    account = raw.query("SELECT id FROM Accounts WHERE accountname = 'Client comptoir';")[0]["id"]
    product = _product_id(raw, "Cola 1,5 L")
    base = {
        "subject": "x",
        "account_id": account,
        "bill_street": "a",
        "ship_street": "b",
        "productid": product,
    }
    for missing in ("bill_street", "productid"):
        element = {k: v for k, v in base.items() if k != missing}
        element["LineItems"] = [{"productid": product, "quantity": "1", "listprice": "1"}]
        code, message = raw.error(
            "POST", operation="create", elementType="Invoice", element=json.dumps(element)
        )
        assert (code, message) == ("MANDATORY_FIELDS_MISSING", f"{missing} does not have a value")
    for lines in (None, []):
        element = {**base} if lines is None else {**base, "LineItems": lines}
        code, _ = raw.error(
            "POST", operation="create", elementType="Invoice", element=json.dumps(element)
        )
        assert code == "MANDATORY_FIELDS_MISSING"
    no_quantity = _invoice(raw, "group", [{"productid": product, "listprice": "1"}])
    assert no_quantity["LineItems"][0]["quantity"] == "0.000"
    ghost = _invoice(raw, "group", [{"productid": "14x99999", "quantity": "1", "listprice": "1"}])
    assert ghost["LineItems"][0]["productid"] == "14x99999"


def test_revise_quirks_and_update_of_a_retrieved_invoice(raw: Raw) -> None:
    cola = _product_id(raw, "Cola 1,5 L")
    invoice = _invoice(
        raw, "group", [{"productid": cola, "quantity": "1", "listprice": "10", "tax1": "20"}]
    )
    revised = raw.ok(
        "POST",
        operation="revise",
        element=json.dumps(
            {
                "id": invoice["id"],
                "LineItems": [
                    {"productid": cola, "quantity": "2", "listprice": "10", "tax1": "20"}
                ],
            }
        ),
    )
    assert revised["hdnTaxType"] == ""
    assert revised["balance"] == "12.00000000"  # stale: not kept in sync after a revise
    retrieved = raw.ok("GET", operation="retrieve", id=invoice["id"])
    response = raw.post(sessionName=raw.session, operation="update", element=json.dumps(retrieved))
    assert (response.status_code, response.content) == (500, b"")


def test_finalised_invoice_cannot_be_deleted_or_changed(raw: Raw) -> None:
    cola = _product_id(raw, "Cola 1,5 L")
    draft = _invoice(raw, "group", [{"productid": cola, "quantity": "1", "listprice": "1"}])
    final = _invoice(
        raw,
        "group",
        [{"productid": cola, "quantity": "1", "listprice": "1"}],
        invoicestatus="Approved",
    )
    assert final["cf_locked"] == "1"
    assert final["invoice_no"].startswith("FA")
    assert raw.error("POST", operation="delete", id=final["id"]) == (
        "ACCESS_DENIED",
        "Permission to delete is denied",
    )
    code, _ = raw.error(
        "POST", operation="revise", element=json.dumps({"id": final["id"], "subject": "changed"})
    )
    assert code == "ACCESS_DENIED"
    assert raw.ok("POST", operation="delete", id=draft["id"]) == {"status": "successful"}
    assert raw.error("GET", operation="retrieve", id=draft["id"]) == (
        "ACCESS_DENIED",
        "Permission to perform the operation is denied",
    )


def test_kafinea_modules_are_listed_with_french_labels(raw: Raw) -> None:
    listing = raw.ok("GET", operation="listtypes")
    info = listing["information"]
    assert info["CashRegisters"]["label"] == "Caisses enregistreuses"
    assert info["CashTransactions"]["label"] == "Mouvements de caisse"
    assert {"Payments", "CreditNotes", "Invoice", "Products", "Accounts"} <= set(listing["types"])
    described = raw.ok("GET", operation="describe", elementType="CashRegisters")
    assert described["idPrefix"] == "52"
    assert described["fields"][-1]["name"] == "id"
    assert raw.error("GET", operation="describe", elementType="Invoices")[0] == "ACCESS_DENIED"


def test_runtime_fault_endpoint(raw: Raw, sandbox: SandboxHandle) -> None:
    admin = sandbox.url.rsplit("/", 1)[0] + "/_sandbox/faults"
    plan = requests.post(admin, json={"http500": 1, "ops": ["listtypes"]}, timeout=5).json()
    assert plan["http500"] == 1 and plan["ops"] == ["listtypes"]
    assert raw.get(operation="listtypes", sessionName=raw.session).status_code == 500
    assert raw.ok("GET", operation="listtypes")["types"]
    bad = requests.post(admin, json={"nonsense": 1}, timeout=5)
    assert bad.status_code == 400 and "nonsense" in bad.json()["error"]
    requests.post(admin, json={"expire_sessions": True}, timeout=5)
    assert raw.error("GET", operation="listtypes")[0] == "INVALID_SESSIONID"
    assert requests.get(admin, timeout=5).json()["http500"] == 0


def test_payment_settles_invoice_and_cash_moves_register(raw: Raw) -> None:
    cola = _product_id(raw, "Cola 1,5 L")
    invoice = _invoice(
        raw, "group", [{"productid": cola, "quantity": "2", "listprice": "5", "tax1": "20"}]
    )
    payment = raw.create(
        "Payments",
        {
            "amount": "12.00",
            "payment_date": "2026-11-28",
            "payment_method": "Espèces",
            "related_to": invoice["id"],
            "account_id": invoice["account_id"],
            "payment_status": "Validé",
        },
    )
    assert payment["payment_no"].startswith("PAI") and payment["cf_locked"] == "1"
    settled = raw.ok("GET", operation="retrieve", id=invoice["id"])
    assert (settled["received"], settled["balance"]) == ("12.00000000", "0.00000000")
    register = raw.query("SELECT id,cash_balance FROM CashRegisters WHERE cashregister_no = '1';")[
        0
    ]
    for amount in ("150.00", "-20.50"):
        raw.create(
            "CashTransactions",
            {
                "cashregister_id": register["id"],
                "amount": amount,
                "transaction_type": "Fond de caisse",
            },
        )
    after = raw.ok("GET", operation="retrieve", id=register["id"])
    assert Decimal(after["cash_balance"]) == Decimal("129.50")
    code, _ = raw.error(
        "POST",
        operation="create",
        elementType="CashTransactions",
        element=json.dumps({"amount": "1", "transaction_type": "Retrait"}),
    )
    assert code == "MANDATORY_FIELDS_MISSING"


def test_user_without_currency_decimals_gets_whole_units(raw: Raw) -> None:
    user = raw.login()["userId"]
    raw.ok(
        "POST", operation="revise", element=json.dumps({"id": user, "no_of_currency_decimals": ""})
    )
    cola = _product_id(raw, "Cola 1,5 L")
    invoice = _invoice(
        raw, "group", [{"productid": cola, "quantity": "3", "listprice": "2.49", "tax1": "20"}]
    )
    assert invoice["LineItems"][0]["listprice"] == "2.00000000"
    assert invoice["hdnGrandTotal"] == 7.0  # 3 x 2 + 20 % = 7.2, then rounded
    payment = raw.create(
        "Payments", {"amount": "7.20", "payment_date": "2026-11-28", "payment_method": "Espèces"}
    )
    assert payment["amount"] == "7.00000000"


def test_select_star_on_invoices_joins_line_items(raw: Raw) -> None:
    cola, eau = _product_id(raw, "Cola 1,5 L"), _product_id(raw, "Eau minérale 1,5 L")
    lines = [
        {"productid": cola, "quantity": "1", "listprice": "1"},
        {"productid": eau, "quantity": "2", "listprice": "1"},
        {"productid": cola, "quantity": "3", "listprice": "1"},
    ]
    first = _invoice(raw, "group", lines, cf_ticket_ref="T-JOIN")
    second = _invoice(raw, "group", lines[:1], cf_ticket_ref="T-JOIN")
    star = raw.query("SELECT * FROM Invoice WHERE cf_ticket_ref = 'T-JOIN' LIMIT 2;")
    # LIMIT counted two joined rows, both lines of the first invoice: one record, last line wins
    assert [r["id"] for r in star] == [first["id"]]
    assert (star[0]["productid"], star[0]["quantity"]) == (eau, "2.000")
    everything = raw.query("SELECT * FROM Invoice WHERE cf_ticket_ref = 'T-JOIN';")
    assert [r["id"] for r in everything] == [first["id"], second["id"]]
    assert everything[0]["quantity"] == "3.000"
    header = raw.query("SELECT subject FROM Invoice WHERE cf_ticket_ref = 'T-JOIN' LIMIT 2;")
    assert [r["id"] for r in header] == [first["id"], second["id"]]
