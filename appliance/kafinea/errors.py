"""Every way a Kafinea call can fail, as types (the sync worker decides by class, never by text).

    KafineaError
    ├── NotSent          the request never reached the server (DNS, refused, connect timeout,
    │   │                TLS failure): always safe to send again
    │   └── InsecureAddress   plain http:// to another machine: refused before sending
    ├── OutcomeUnknown   sent, but no usable answer (read timeout, connection reset, HTTP 500 or
    │                    garbage after a write): look the record up before creating it again
    ├── ProtocolError    the server answered something that is not the webservice envelope
    │                    (HTML page, empty HTTP 500, non-JSON) to a read
    └── ApiError(code, message)   a proper `{success: false, error: {...}}` envelope
        ├── SessionExpired   INVALID_SESSIONID, SESSION_EXPIRED, SESSION_LEFT_IDLE,
        │                    AUTHENTICATION_REQUIRED (raised before the handler ran)
        ├── BadCredentials   wrong access key, unknown user, refused login
        └── AccessDenied     ACCESS_DENIED (vtiger's answer for missing records too),
                             INVALID_ID_ATTRIBUTE

No message ever holds the access key or the session name. `describe(error)` is the one French
sentence a shop or a technician reads for each class, on screen and on the command line.
"""

from __future__ import annotations


class KafineaError(Exception):
    """Base of everything the Kafinea client raises."""


class NotSent(KafineaError):
    """The request did not leave this machine or was refused before the server read it."""


class InsecureAddress(NotSent):
    """The address is plain http:// to another machine: the session would travel in clear."""


class OutcomeUnknown(KafineaError):
    """The server may or may not have acted on the request."""


class ProtocolError(KafineaError):
    """The answer is not a webservice envelope (HTML, empty body, HTTP error status)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ApiError(KafineaError):
    """The server refused the operation with an error code and message."""

    def __init__(self, code: str, message: str, operation: str = "") -> None:
        self.code = code
        self.message = message
        self.operation = operation
        where = f" ({operation})" if operation else ""
        super().__init__(f"{code}: {message}{where}")


class SessionExpired(ApiError):
    """The session is gone; logging in again and retrying once is safe."""


class BadCredentials(ApiError):
    """The user name or the access key was refused."""


class AccessDenied(ApiError):
    """No permission, unknown module, or (vtiger's way of saying it) no such record."""


SESSION_CODES = frozenset(
    {"INVALID_SESSIONID", "SESSION_EXPIRED", "SESSION_LEFT_IDLE", "AUTHENTICATION_REQUIRED"}
)
CREDENTIAL_CODES = frozenset(
    {
        "INVALID_USER_CREDENTIALS",
        "INVALID_AUTH_TOKEN",
        "ACCESSKEY_UNDEFINED",
        "AUTHENTICATION_FAILURE",
    }
)
ACCESS_CODES = frozenset({"ACCESS_DENIED", "INVALID_ID_ATTRIBUTE"})


def api_error(code: str, message: str, operation: str) -> ApiError:
    """Map one server error code to its class, once, here."""
    if code in SESSION_CODES:
        return SessionExpired(code, message, operation)
    if code in CREDENTIAL_CODES or (operation == "getchallenge" and code == "ACCESS_DENIED"):
        return BadCredentials(code, message, operation)
    if code in ACCESS_CODES:
        return AccessDenied(code, message, operation)
    return ApiError(code, message, operation)



# Most specific class first: the first match gives the sentence.
_SENTENCES: tuple[tuple[type[KafineaError], str], ...] = (
    (BadCredentials, "Kafinea refuse l'e-mail ou la clé d'accès de la caisse ({code})"),
    (SessionExpired, "session Kafinea expirée : la caisse se reconnecte au prochain essai"),
    (AccessDenied, "Kafinea refuse l'accès : {message} ({code})"),
    (ApiError, "Kafinea refuse l'opération : {message} ({code})"),
    (InsecureAddress, "adresse refusée : https:// obligatoire ({detail})"),
    (NotSent, "Kafinea injoignable : vérifiez le réseau et l'adresse ({detail})"),
    (OutcomeUnknown, "réponse de Kafinea perdue ou trop lente ({detail})"),
    (ProtocolError, "le serveur ne répond pas comme un webservice Kafinea ({detail})"),
    (KafineaError, "erreur Kafinea ({detail})"),
)


def describe(error: KafineaError) -> str:
    """One French sentence for the shop and the technician; the detail stays in parentheses."""
    sentence = next(text for kind, text in _SENTENCES if isinstance(error, kind))
    if isinstance(error, ApiError):
        return sentence.format(code=error.code, message=error.message)
    return sentence.format(detail=error)
