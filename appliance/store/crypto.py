"""Encryption of the secrets the store must give back (webhook signing secrets): Fernet from
`cryptography`, keyed from settings. Several comma-separated keys rotate: the first encrypts, any
decrypts (`MultiFernet`)."""
from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from appliance.store.errors import ConfigError


def generate_key() -> str:
    """A new key for `StoreSettings.secret_key`."""
    return Fernet.generate_key().decode("ascii")


class SecretBox:
    def __init__(self, keys: str):
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode("ascii")) for k in keys.split(",") if k.strip()])
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"the secret key is not a Fernet key (32 url-safe base64 bytes): {exc}") from None

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise ConfigError("a stored secret does not decrypt with the configured key(s): was the key "
                              "changed without keeping the old one?") from None
