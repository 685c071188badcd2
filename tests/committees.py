"""Small committees of their own for end-to-end tests: test-named communes that read
their inbox, and the committee file the hub reads while a test runs."""

import os
from contextlib import contextmanager
from pathlib import Path

from stdnum import luhn


def inbox_commune(slug: str, insee: str, datasets: dict | None = None) -> dict:
    """A commune of Morbihan with a valid SIREN, whose files arrive in its inbox."""
    base = "2156" + "0" + insee[2:]
    return {"slug": slug, "name": f"Commune test {insee}", "kind": "commune", "insee": insee,
            "siren": base + luhn.calc_check_digit(base), "contact": "test@hub.invalid",
            "sources": [{"type": "inbox", **({"datasets": datasets} if datasets else {})}]}


@contextmanager
def committee_file(path: Path):
    """The hub reads this committee file inside the block, the previous one afterwards."""
    previous = os.environ.get("HUB_COMMITTEE_FILE")
    os.environ["HUB_COMMITTEE_FILE"] = str(path)
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop("HUB_COMMITTEE_FILE")
        else:
            os.environ["HUB_COMMITTEE_FILE"] = previous
