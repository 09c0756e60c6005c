"""How a sandbox operation fails: an error envelope, a bare HTTP failure, or a dropped socket."""

from __future__ import annotations


class SandboxError(Exception):
    """Answered as `{"success": false, "error": {"code", "message"}}` with HTTP 200."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class HttpFailure(Exception):
    """Answered as a bare HTTP error (vtiger's PHP fatals: status 500, empty body)."""

    def __init__(self, status: int = 500, body: bytes = b"") -> None:
        super().__init__(status)
        self.status = status
        self.body = body


class DropConnection(Exception):
    """Close the socket without answering (the work may already be committed)."""
