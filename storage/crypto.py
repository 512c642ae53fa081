"""Encryption at rest: what a person wrote or showed is sealed before it reaches the database.

Facelog holds faces and private thoughts. With ``FACELOG_ENCRYPTION_KEYS`` set (comma-separated
Fernet keys, newest first) the repository seals photos, voice notes, diary text, Anna's
comments, chat turns and the user's name and intro with :class:`cryptography.fernet.MultiFernet`
(AES-128-CBC with an HMAC-SHA256 tag: a changed or foreign record fails loudly, it never decrypts
to garbage). Without keys, :class:`Cipher` passes values through and data is stored as before.

How a record says what it is, so plain data written before a key was configured still reads:

* a text field holds a BSON **string** when plain and BSON **binary** when sealed (user text is
  never stored as binary, so the type is the marker);
* a GridFS blob carries ``metadata.enc = "fernet"`` when sealed, plus ``metadata.kid``, a short
  fingerprint of the key that sealed it, so key rotation can skip blobs already under the newest
  key without reading them.

Sealed values are the Fernet token's raw bytes (not its base64 text): a 3 MB photo costs 57–73
bytes more, not a third more. Nothing sealed is ever used in a query filter or an index.

Rotation: put the new key first (``NEW,OLD``), run ``facelog rekey`` (every record is re-sealed
with the newest key), then drop the old key. MultiFernet reads with any listed key and always
seals with the first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

#: ``metadata.enc`` of a sealed GridFS blob.
BLOB_MARKER = "fernet"


class CryptoError(Exception):
    """Sealed data cannot be opened, or the keys are unusable. Messages never carry key or data."""


class NoKeyConfigured(CryptoError):
    """Sealed data was found but no key is configured."""


class UnknownKey(CryptoError):
    """Sealed data was found that none of the configured keys opens (a wrong or dropped key)."""


class InvalidKeys(CryptoError, ValueError):
    """``FACELOG_ENCRYPTION_KEYS`` is malformed (the message names the position, never the key)."""


def parse_keys(text: str | None) -> tuple[bytes, ...]:
    """The keys of a ``NEW,OLD,…`` setting, validated; ``()`` for an empty or missing setting.

    Raises :class:`InvalidKeys` naming the bad position (1-based) and never echoing the key.
    """
    if not text:
        return ()
    keys = tuple(part.strip().encode() for part in text.split(",") if part.strip())
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, binascii.Error):
            raise InvalidKeys(
                f"key #{position} is not a Fernet key (32 url-safe base64-encoded bytes; "
                "generate one with Fernet.generate_key())"
            ) from None
    if len(set(keys)) != len(keys):
        raise InvalidKeys("the same key is listed twice")
    return keys


def key_id(key: bytes) -> str:
    """A short public fingerprint of a key (which key sealed a blob), revealing nothing of it."""
    return hashlib.sha256(b"facelog-key-id\x00" + key).hexdigest()[:16]


class Cipher:
    """Seals and opens values with the configured keys; a pass-through without keys.

    ``Cipher()`` (no keys) writes plain values and refuses to open sealed ones with
    :class:`NoKeyConfigured`, so data encrypted earlier is never mistaken for text.
    """

    def __init__(self, keys: Iterable[bytes | str] = ()) -> None:
        raw = tuple(k.encode() if isinstance(k, str) else k for k in keys)
        self._primary: Fernet | None = Fernet(raw[0]) if raw else None
        self._all: MultiFernet | None = MultiFernet([Fernet(k) for k in raw]) if raw else None
        self.primary_id: str | None = key_id(raw[0]) if raw else None

    @classmethod
    def from_setting(cls, text: str | None) -> Cipher:
        """From ``FACELOG_ENCRYPTION_KEYS`` (``NEW,OLD,…``); validated by :func:`parse_keys`."""
        return cls(parse_keys(text))

    @property
    def enabled(self) -> bool:
        """Whether new data is sealed."""
        return self._all is not None

    def __repr__(self) -> str:  # never the keys
        return f"Cipher(enabled={self.enabled})"

    # -- bytes --------------------------------------------------------------------------------

    def seal(self, data: bytes) -> bytes:
        """``data`` sealed with the newest key (raw token bytes); only with a key configured."""
        if self._all is None:
            raise NoKeyConfigured("sealing needs FACELOG_ENCRYPTION_KEYS")
        return base64.urlsafe_b64decode(self._all.encrypt(data))

    def open(self, sealed: bytes) -> bytes:
        """The plaintext of a sealed value, whichever configured key sealed it."""
        if self._all is None:
            raise NoKeyConfigured(
                "the database holds encrypted data, but FACELOG_ENCRYPTION_KEYS is not set"
            )
        try:
            return self._all.decrypt(base64.urlsafe_b64encode(sealed))
        except InvalidToken:
            raise UnknownKey(
                "stored data was encrypted with a key that FACELOG_ENCRYPTION_KEYS does not "
                "list (a wrong key, or an old key dropped before `facelog rekey` finished)"
            ) from None

    def is_current(self, sealed: bytes) -> bool:
        """Whether ``sealed`` was sealed with the newest key (rotation can skip it)."""
        if self._primary is None:
            return False
        try:
            self._primary.decrypt(base64.urlsafe_b64encode(sealed))
        except InvalidToken:
            return False
        return True

    def reseal(self, sealed: bytes) -> bytes:
        """``sealed`` opened with any configured key and sealed again with the newest."""
        return self.seal(self.open(sealed))

    # -- text fields --------------------------------------------------------------------------

    def seal_text(self, text: str) -> str | bytes:
        """What a text field stores: sealed bytes with a key, the text itself without one."""
        return self.seal(text.encode("utf-8")) if self.enabled else text

    def seal_optional(self, text: str | None) -> str | bytes | None:
        return None if text is None else self.seal_text(text)

    def open_text(self, stored: object) -> str:
        """A stored text field as text: plain strings pass, sealed bytes are opened."""
        if isinstance(stored, bytes):
            return self.open(stored).decode("utf-8")
        if isinstance(stored, str):
            return stored
        raise CryptoError(f"expected a stored text, found {type(stored).__name__}")

    def open_optional(self, stored: object) -> str | None:
        return None if stored is None else self.open_text(stored)

    def needs_reseal(self, stored: object) -> bool:
        """Whether rotation must rewrite this field: plain text, or sealed with an older key."""
        if not self.enabled or stored is None:
            return False
        if isinstance(stored, bytes):
            return not self.is_current(stored)
        return True

    def reseal_text(self, stored: object) -> str | bytes | None:
        """A text field as rotation writes it: sealed with the newest key."""
        if stored is None:
            return None
        return self.seal_text(self.open_text(stored))

    # -- blobs --------------------------------------------------------------------------------

    def seal_blob(self, data: bytes) -> tuple[bytes, dict[str, str]]:
        """The bytes to upload and the metadata marking them (``{}`` and ``data`` without keys)."""
        if not self.enabled:
            return data, {}
        assert self.primary_id is not None
        return self.seal(data), {"enc": BLOB_MARKER, "kid": self.primary_id}

    def open_blob(self, stored: bytes, metadata: object) -> bytes:
        """A downloaded blob as the user sent it; ``metadata`` is the GridFS file's metadata."""
        if isinstance(metadata, dict) and metadata.get("enc") == BLOB_MARKER:
            return self.open(stored)
        return stored

    def blob_needs_reseal(self, metadata: object) -> bool:
        """Whether rotation must rewrite this blob (plain, or sealed with an older key)."""
        if not self.enabled:
            return False
        if not isinstance(metadata, dict) or metadata.get("enc") != BLOB_MARKER:
            return True
        return metadata.get("kid") != self.primary_id
