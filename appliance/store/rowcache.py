"""Rows the recorder already looked up in the transaction it is writing in.

Under group commit (`appliance.store.group`) hundreds of the collector's events share one transaction,
and most of them touch the same few rows again: the PBX's endpoint on every phone's REGISTER, a phone's
endpoint on its signaling session, TLS session and each verdict, a call on each of its SDPs. Each look-up
was a SELECT (and an autoflush of everything pending before it): bench/site's boot storm of 2,000 phones
spent half of the coordinator's time there, and alert latency queued behind it.

A group's writes can also be looked up ahead, in one query per table (`preload`): the rows found are
remembered, and the keys not found are known to be absent, so their rows are made without asking.

A cache lives as long as the session it belongs to; `forget()` empties it when a write fails (its
savepoint rolled back, so rows it added are gone from the session)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from appliance.store.inventory import get_or_new


class RowCache:
    def __init__(self):
        self._session: Session | None = None
        self._rows: dict[tuple, object] = {}
        self._absent: set[tuple] = set()        # keys looked up ahead and not found

    def get_or_new(self, session: Session, model, **key):
        """`inventory.get_or_new`, asked of the database once per key and transaction."""
        rows = self._of(session)
        ident = (model, *sorted(key.items()))
        row = rows.get(ident)
        if row is None and ident in self._absent:
            row = rows[ident] = model(**key)
            session.add(row)
            self._absent.discard(ident)
        elif row is None:
            with session.no_autoflush:
                row = rows[ident] = get_or_new(session, model, **key)
        return row

    def find(self, session: Session, model, load, **key):
        """The row `load()` finds (None: none yet), remembered once found or added by `remember`."""
        rows = self._of(session)
        ident = (model, *sorted(key.items()))
        row = rows.get(ident)
        if row is None and ident not in self._absent:
            row = load()
            if row is not None:
                rows[ident] = row
        return row

    def remember(self, session: Session, row, **key) -> None:
        ident = (type(row), *sorted(key.items()))
        self._of(session)[ident] = row
        self._absent.discard(ident)

    def preload(self, session: Session, model, found: dict, asked) -> None:
        """Rows looked up ahead: `found` maps a key (a dict's items as a tuple) to its row; the other
        keys `asked` for are absent (until made or `unknown` again)."""
        rows = self._of(session)
        for key in asked:
            ident = (model, *sorted(key))
            if key in found:
                rows.setdefault(ident, found[key])
            elif ident not in rows:
                self._absent.add(ident)

    def note(self, session: Session, fact: tuple, value=True) -> None:
        """Remember a fact about the store for this transaction (e.g. an endpoint with no active incident,
        the occurrences of a stream)."""
        self._of(session)[("fact", *fact)] = value

    def noted(self, session: Session, fact: tuple, default=None):
        return self._of(session).get(("fact", *fact), default)

    def unnote(self, fact: tuple) -> None:
        self._rows.pop(("fact", *fact), None)

    def absent(self, model, **key) -> bool:
        """Whether the key was looked up ahead, in the transaction being written, and not found."""
        return (model, *sorted(key.items())) in self._absent

    @property
    def session(self) -> Session | None:
        """The session whose rows the cache holds."""
        return self._session

    def held(self, model, **key):
        """The row of `key` the cache holds (None: none), asking nothing."""
        return self._rows.get((model, *sorted(key.items())))

    def unknown(self, model, **key) -> None:
        """Forget that a key is absent (its row was written around the cache)."""
        self._absent.discard((model, *sorted(key.items())))

    def forget(self) -> None:
        self._session, self._rows, self._absent = None, {}, set()

    def _of(self, session: Session) -> dict:
        if session is not self._session:
            self._session, self._rows, self._absent = session, {}, set()
        return self._rows
