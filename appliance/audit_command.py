"""`appliance audit`: the audit log from the store (who changed what, when, before and after), newest
first; `--format json` for scripts (the same fields as GET /api/v1/audit)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from enum import Enum
from typing import Optional

import typer


class AuditFormat(str, Enum):
    text = "text"
    json = "json"


def audit_command(actor: Optional[str] = typer.Option(None, "--actor", help="a token's name or a CLI user"),
                  action: Optional[str] = typer.Option(None, "--action",
                                                       help="an action (webhook.update) or a family (webhook)"),
                  target: Optional[str] = typer.Option(None, "--target", help="e.g. switch:core1, alert:12"),
                  limit: int = typer.Option(100, "--limit", min=1, max=500, help="entries per page, newest first"),
                  offset: int = typer.Option(0, "--offset", min=0, help="entries to skip (the next page: --offset LIMIT)"),
                  format: AuditFormat = typer.Option(AuditFormat.text, "--format", "-f", help="text or json")) -> None:
    """Show the audit log, newest first."""
    from appliance.commands import open_migrated_store
    from appliance.store import audit
    with open_migrated_store() as store, store.session(readonly=True) as session:
        rows, total = audit.entries(session, actor=actor, action=action, target=target, limit=limit, offset=offset)
        items = [audit.as_dict(row) for row in rows]
    if format is AuditFormat.json:
        print(json.dumps({"items": items, "total": total}, indent=2, default=str))
        return
    for item in items:
        when = datetime.fromtimestamp(item["at"], timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        change = json.dumps({"before": item["before"], "after": item["after"]}, default=str, sort_keys=True)
        print(f"{when}\t{item['via']}:{item['actor']}\t{item['action']}\t{item['target']}\t{change}")

