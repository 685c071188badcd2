"""The demo's inbox drops: what Quiberon's town hall would upload to inbox/quiberon/."""

from __future__ import annotations

from pathlib import Path

from connectors.handoffs import layout
from connectors.objectstore import ObjectStore

INBOX = Path(__file__).resolve().parents[1] / "demo" / "inbox"


def seed_inbox() -> list[str]:
    """Upload demo/inbox/<member>/<file> when absent or different; returns written keys."""
    store = ObjectStore.from_environment()
    written = []
    for path in sorted(INBOX.glob("*/*")):
        key = layout.inbox_key(path.parent.name, path.name)
        data = path.read_bytes()
        if not store.exists(key) or store.get_bytes(key) != data:
            store.put_bytes(key, data, "text/csv")
            written.append(key)
    return written
