"""The device's signing key: ECDSA P-256, created with the journal and never leaving the
data directory (file mode 0600).

Every record's hash is signed with it; its public key is in the INIT record and in every
archive, so verifying needs no secret. `key_id` (the first 16 hex digits of the SHA-256 of
the public key) is the fingerprint printed on receipts and Z reports.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from appliance.ledger.journal_errors import JournalCorrupt

ALGORITHM = "ECDSA-P256-SHA256"
SIGNATURE = ec.ECDSA(utils.Prehashed(hashes.SHA256()))


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:16]


class DeviceKey:
    """The private key and its fingerprint; signs SHA-256 digests (record hashes, archive
    manifests)."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        self._private_key = private_key
        self.id = key_id(private_key.public_key())

    @classmethod
    def create(cls, path: Path) -> DeviceKey:
        """A new key, written to `path` (which must not exist) and fsynced."""
        private_key = ec.generate_private_key(ec.SECP256R1())
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        return cls(private_key)

    @classmethod
    def load(cls, path: Path) -> DeviceKey:
        private_key = serialization.load_pem_private_key(path.read_bytes(), None)
        if not isinstance(private_key, ec.EllipticCurvePrivateKey):
            raise JournalCorrupt(f"{path} n'est pas une clé ECDSA")
        return cls(private_key)

    def sign(self, digest: bytes) -> bytes:
        return self._private_key.sign(digest, SIGNATURE)

    def public_der(self) -> bytes:
        return self._private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def public_pem(self) -> bytes:
        return self._private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
