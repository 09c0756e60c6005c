"""Several clients logging in as the same user at once, as a till's sync worker and the setup
wizard do when the wizard is reopened on a running till.

vtiger (and the sandbox) keep one login challenge per user: a getchallenge replaces the other
client's token, whose login is then refused. The client tells that race from a wrong key by
exchanging again after a short random pause; this checks it does, on a real sandbox over
loopback, with enough logins that the race happens.
"""

import threading

from appliance.kafinea.client import KafineaClient
from appliance.kafinea.errors import BadCredentials
from appliance.kafinea.sandbox.server import running_sandbox

CLIENTS = 2  # the sync worker and the wizard
LOGINS = 20


def test_concurrent_logins_of_one_user_all_succeed(tmp_path):
    refused: list[str] = []
    with running_sandbox(tmp_path / "sandbox") as sandbox:

        def log_in_repeatedly() -> None:
            with KafineaClient(sandbox.url, sandbox.username, sandbox.access_key) as client:
                for _ in range(LOGINS):
                    try:
                        client.login()
                    except BadCredentials as error:
                        refused.append(error.code)

        threads = [threading.Thread(target=log_in_repeatedly) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        challenges = sandbox.calls("getchallenge")
    assert refused == []
    assert challenges >= CLIENTS * LOGINS  # one per login, more when a race was retried


def test_a_wrong_key_is_still_refused_after_the_retries(tmp_path):
    with running_sandbox(tmp_path / "sandbox") as sandbox:
        client = KafineaClient(sandbox.url, sandbox.username, "not-the-key")
        try:
            client.login()
        except BadCredentials as error:
            assert error.code == "INVALID_USER_CREDENTIALS"
        else:
            raise AssertionError("a wrong key logged in")
        finally:
            client.close()
