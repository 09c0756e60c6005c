"""The client against a real sandbox over loopback HTTP: success and every failure class."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path

import pytest

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.errors import (
    AccessDenied,
    ApiError,
    BadCredentials,
    NotSent,
    OutcomeUnknown,
    ProtocolError,
    SessionExpired,
)
from appliance.kafinea.sandbox.server import SandboxHandle, running_sandbox
from appliance.kafinea.vtql import cond, like_escape, select


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _invoice(client: KafineaClient, subject: str) -> dict[str, object]:
    account = client.query(select("Accounts").where(cond("accountname", "=", "Client comptoir")))
    product = client.query(select("Products").limit(1))[0]
    return {
        "subject": subject,
        "account_id": account[0]["id"],
        "bill_street": "Vente au comptoir",
        "ship_street": "Vente au comptoir",
        "productid": product["id"],
        "hdnTaxType": "individual",
        "LineItems": [{"productid": product["id"], "quantity": "1", "listprice": "2.00"}],
    }


def test_login_accepts_session_id_only(tmp_path: Path) -> None:
    with (
        running_sandbox(tmp_path, login_style="kafinea") as sandbox,
        KafineaClient(sandbox.url, sandbox.username, sandbox.access_key) as client,
    ):
        info = client.login()
        assert info.server_version == "2025.1"
        assert client.listtypes()["types"]


def test_wrong_key_is_bad_credentials_without_secret(sandbox: SandboxHandle) -> None:
    wrong = "Zz9" + sandbox.access_key[3:]
    with (
        KafineaClient(sandbox.url, sandbox.username, wrong) as client,
        pytest.raises(BadCredentials) as info,
    ):
        client.login()
    assert info.value.code == "INVALID_USER_CREDENTIALS"
    assert wrong not in str(info.value)
    assert not client.logged_in


def test_unknown_user_is_bad_credentials(sandbox: SandboxHandle) -> None:
    with (
        KafineaClient(sandbox.url, "personne@nulle-part.fr", "x") as client,
        pytest.raises(BadCredentials, match="username does not exists"),
    ):
        client.login()


def test_refused_login(sandbox: SandboxHandle, client: KafineaClient) -> None:
    sandbox.set_faults(refuse_login=True)
    with pytest.raises(BadCredentials):
        client.login()


def test_unreachable_host_is_not_sent() -> None:
    port = _free_port()
    with (
        KafineaClient(f"http://127.0.0.1:{port}/kfn", "a@b.fr", "k", timeout_s=2) as client,
        pytest.raises(NotSent, match=rf"^connexion impossible à 127\.0\.0\.1:{port}$"),
    ):
        client.listtypes()


def test_tls_failure_is_not_sent(sandbox: SandboxHandle) -> None:
    https_url = sandbox.url.replace("http://", "https://")
    with (
        KafineaClient(https_url, sandbox.username, sandbox.access_key, timeout_s=2) as client,
        pytest.raises(NotSent, match=r"^échec de la vérification TLS de 127\.0\.0\.1:\d+$"),
    ):
        client.login()


def test_session_expiry_relogs_in_once(sandbox: SandboxHandle, client: KafineaClient) -> None:
    client.login()
    sandbox.expire_sessions()
    rows = client.query(select("Accounts", "accountname"))
    assert any(r["accountname"] == "Client comptoir" for r in rows)
    assert sandbox.calls("login") == 2
    assert sandbox.calls("getchallenge") == 2


def test_idle_session_is_renewed(sandbox: SandboxHandle, client: KafineaClient) -> None:
    sandbox.set_faults(session_idle_s=1.0)  # generous: a loaded machine may stall a while
    client.login()
    time.sleep(1.5)
    assert client.listtypes()["types"]
    assert sandbox.calls("login") == 2


def test_second_expiry_in_a_row_is_reported(sandbox: SandboxHandle, client: KafineaClient) -> None:
    client.login()
    sandbox.set_faults(session_idle_s=0.0)  # every session is dead by its next call
    with pytest.raises(SessionExpired):
        client.listtypes()
    assert sandbox.calls("login") == 2  # exactly one re-login, no loop


def test_empty_http500_on_read_is_protocol_error(
    sandbox: SandboxHandle, client: KafineaClient
) -> None:
    client.login()
    sandbox.set_faults(http500=1, ops=["query"])
    with pytest.raises(ProtocolError, match=r"^HTTP 500 avec un corps vide pour query$") as info:
        client.query(select("Accounts"))
    assert info.value.status == 500
    assert client.query(select("Accounts"))


def test_html_answer_is_protocol_error(sandbox: SandboxHandle, client: KafineaClient) -> None:
    client.login()
    sandbox.set_faults(http500=1, html=True, ops=["describe"])
    with pytest.raises(ProtocolError, match=r"^HTTP 500 avec une page HTML pour describe$"):
        client.describe("Products")


def test_http500_on_write_is_outcome_unknown(sandbox: SandboxHandle, client: KafineaClient) -> None:
    element = _invoice(client, "Ticket 500")
    sandbox.set_faults(http500=1, ops=["create"])
    with pytest.raises(OutcomeUnknown):
        client.create("Invoice", element)


def test_drop_after_commit_is_outcome_unknown_and_the_write_exists(
    sandbox: SandboxHandle, client: KafineaClient
) -> None:
    element = _invoice(client, "Ticket C1-000042")
    sandbox.set_faults(drop_after_commit=1, ops=["create"])
    with pytest.raises(OutcomeUnknown, match=r"^connexion perdue pendant create vers 127\."):
        client.create("Invoice", element)
    found = client.query(
        select("Invoice", "subject").where(cond("subject", "=", "Ticket C1-000042"))
    )
    assert len(found) == 1  # committed: a blind retry would have doubled it


def test_read_timeout_is_outcome_unknown(sandbox: SandboxHandle) -> None:
    with KafineaClient(sandbox.url, sandbox.username, sandbox.access_key, timeout_s=0.5) as client:
        client.login()
        sandbox.set_faults(latency_ms=1200)
        with pytest.raises(OutcomeUnknown, match=r"^pas de réponse en 0,5 s : listtypes vers "):
            client.listtypes()
        sandbox.set_faults()


def test_missing_record_and_wrong_prefix(client: KafineaClient) -> None:
    product = client.query(select("Products", "productname").limit(1))[0]
    number = product["id"].split("x")[1]
    with pytest.raises(AccessDenied) as info:
        client.retrieve("14x999999")
    assert info.value.code == "ACCESS_DENIED"
    with pytest.raises(AccessDenied) as info:
        client.retrieve(f"11x{number}")
    assert info.value.code == "INVALID_ID_ATTRIBUTE"
    with pytest.raises(AccessDenied, match="denied for id"):
        client.retrieve("nonsense")


def test_describe_is_cached(client: KafineaClient) -> None:
    first = client.describe("Products")
    trips = client.round_trips
    assert client.describe("Products") is first
    assert client.round_trips == trips
    assert client.id_prefix("Products") == "14"


def test_paging_past_the_100_row_cap(tmp_path: Path) -> None:
    with (
        running_sandbox(tmp_path, products=250) as sandbox,
        KafineaClient(sandbox.url, sandbox.username, sandbox.access_key) as client,
    ):
        client.login()
        seen: list[int] = []
        rows = list(client.query_all(select("Products", "productname"), progress=seen.append))
        assert len(rows) == len({r["id"] for r in rows}) == 86 + 250
        assert seen == [100, 200, 300, 336]
        assert client.count(select("Products")) == 336
        assert len(client.query("SELECT productname FROM Products LIMIT 500;")) == 100


@pytest.mark.parametrize("term", ["l'huile", "huile; DROP TABLE entity;", "'; --", "d'olive"])
def test_quotes_and_semicolons_in_search_terms(client: KafineaClient, term: str) -> None:
    query = select("Products", "productname").where(
        cond("productname", "LIKE", f"%{like_escape(term)}%")
    )
    rows = client.query(query)
    assert all(
        term.split(";", maxsplit=1)[0].strip("'; -").lower() in r["productname"].lower()
        for r in rows
    )
    if term in ("l'huile", "d'olive"):
        assert any(r["productname"] == "Sardines à l'huile d'olive" for r in rows)
    assert client.query(select("Products", "productname").limit(1))  # the table is still there


def test_barcode_with_quote_finds_nothing_and_breaks_nothing(client: KafineaClient) -> None:
    assert client.query(select("Products").where(cond("cf_853", "=", "3760'; --"))) == []


def test_api_errors_keep_code_and_message(client: KafineaClient) -> None:
    with pytest.raises(ApiError) as info:
        client.create("Accounts", {"accountname": ""})
    assert info.value.code == "MANDATORY_FIELDS_MISSING"
    assert info.value.message == "accountname does not have a value"


def test_secrets_stay_out_of_repr_and_logs(
    sandbox: SandboxHandle, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with KafineaClient(sandbox.url, sandbox.username, sandbox.access_key) as client:
        client.query(select("Accounts"))
        client.create("Accounts", {"accountname": "Café d'en face"})
        sessions = sandbox.app.sessions.names()
        assert sessions
        text = caplog.text + repr(client) + repr(client.login_info)
    for secret in (sandbox.access_key, *sessions):
        assert secret not in text
    assert "sessionName=***" in caplog.text  # urllib3's request lines were redacted


def test_plain_http_to_another_host_is_refused_before_sending() -> None:
    client = KafineaClient("http://kafinea.example.com/kfn1", "a@b.fr", "k")
    with client, pytest.raises(NotSent, match=r"^http:// en clair vers kafinea\.example\.com$"):
        client.login()
    assert client.round_trips == 0  # nothing left the machine
