"""The one login check, against a real sandbox and against servers that misbehave on purpose:
each outcome is what every caller (setup, login screen, wizard, doctor) decides on."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.sandbox.server import SandboxHandle, running_sandbox
from appliance.provisioning.login import LoginOutcome, check_key, check_login


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as handle:
        yield handle


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and reads them, never answers: a Kafinea stuck behind a proxy."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_the_right_key_is_accepted_and_the_client_stays_logged_in(
    sandbox: SandboxHandle,
) -> None:
    with KafineaClient(sandbox.url, sandbox.username, sandbox.access_key, timeout_s=5) as client:
        check = check_login(client)
        assert check.accepted and check.reason == "" and check.info is not None
        assert client.query("SELECT id FROM Products LIMIT 1;")  # no second login needed


def test_a_wrong_key_is_refused_in_french_without_the_key(sandbox: SandboxHandle) -> None:
    check = check_key(sandbox.url, sandbox.username, "not-the-key-at-all")
    assert check.outcome is LoginOutcome.REFUSED
    assert check.reason.startswith("Kafinea refuse l'e-mail ou la clé d'accès")
    assert "not-the-key-at-all" not in check.reason


def test_a_closed_port_is_unreachable_not_refused(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    check = check_key(f"http://127.0.0.1:{port}", "caisse@boutique.fr", "k")
    assert check.outcome is LoginOutcome.UNREACHABLE
    assert check.reason.startswith("Kafinea injoignable")


def test_a_server_that_never_answers_is_unreachable_once_the_timeout_passes(
    silent_server: str,
) -> None:
    started = time.monotonic()
    check = check_key(silent_server, "caisse@boutique.fr", "k", timeout_s=0.5)
    elapsed = time.monotonic() - started
    assert check.outcome is LoginOutcome.UNREACHABLE
    assert check.reason.startswith("réponse de Kafinea perdue ou trop lente")
    assert elapsed < 5  # the timeout holds (a read is tried twice: 2 x 0.5 s, plus the connect)


def test_plain_http_to_another_machine_is_refused_before_anything_is_sent() -> None:
    check = check_key("http://kafinea.example.com/kfn000000001", "caisse@boutique.fr", "k")
    assert check.outcome is LoginOutcome.REFUSED
    assert check.reason.startswith("adresse refusée : https:// obligatoire")
