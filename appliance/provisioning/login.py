"""Test before configure: one login to Kafinea, and what it tells about the key.

Every place that is handed an e-mail and an access key asks this module, and only this one:
`appliance setup` before it writes anything, the login screen before it stores the key, the
setup wizard before it offers the registers, and `appliance doctor`. Each then decides what an
outcome means for it (an unreachable Kafinea is a warning for provisioning, since the Wi-Fi
the file configures may be what is missing, but a failure for the wizard, which needs the list
of registers), from one reading of the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from appliance.kafinea.client import KafineaClient, LoginInfo
from appliance.kafinea.errors import (
    InsecureAddress,
    KafineaError,
    NotSent,
    OutcomeUnknown,
    describe,
)

LOGIN_TIMEOUT_S = 15.0


class LoginOutcome(Enum):
    ACCEPTED = "accepted"
    UNREACHABLE = "unreachable"  # nothing known about the key: the request or its answer was lost
    REFUSED = "refused"  # the key, the user, or the address itself is wrong


@dataclass(frozen=True)
class LoginCheck:
    """The outcome, its French `reason` ("" when accepted) and what login told us."""

    outcome: LoginOutcome
    reason: str = ""
    info: LoginInfo | None = None

    @property
    def accepted(self) -> bool:
        return self.outcome is LoginOutcome.ACCEPTED


def check_login(client: KafineaClient) -> LoginCheck:
    """Log `client` in; the client stays logged in for the caller's next reads."""
    try:
        info = client.login()
    except InsecureAddress as error:
        return LoginCheck(LoginOutcome.REFUSED, describe(error))
    except (NotSent, OutcomeUnknown) as error:
        return LoginCheck(LoginOutcome.UNREACHABLE, describe(error))
    except KafineaError as error:
        return LoginCheck(LoginOutcome.REFUSED, describe(error))
    return LoginCheck(LoginOutcome.ACCEPTED, info=info)


def check_key(url: str, email: str, key: str, timeout_s: float = LOGIN_TIMEOUT_S) -> LoginCheck:
    """One login with these credentials, on a client of its own that is closed after."""
    with KafineaClient(url, email.strip(), key.strip(), timeout_s=timeout_s) as client:
        return check_login(client)
