"""Where the store is (its settings), importable without SQLAlchemy: the CLI builds settings for
every command but opens the store only in the commands that use it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoreSettings:
    """Where the store is (SQLite in data_dir or a database URL) and how it is opened."""
    url: str | None                      # None: SQLite in data_dir
    data_dir: Path
    migrations_dir: Path | None = None   # None: the package's appliance/migrations
    secret_key: str | None = None        # Fernet key(s) for webhook secrets (crypto.generate_key())
    busy_timeout_ms: int = 5000
    echo: bool = False
