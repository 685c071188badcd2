"""Local stand-ins for the member portals the hub reads: they play the internet in tests.

Each is a small threaded http.server on a free 127.0.0.1 port, fed from Python data and
speaking one documented API shape: CKAN's action API (`ckan`), Opendatasoft Explore v2.1
(`opendatasoft`), udata API 1 (`udata`), a DCAT catalogue with Hydra paging (`dcat`), and
plain files with HTTP validators (`files`). Use one as a context manager in a fixture:

    @pytest.fixture
    def portal():
        with CkanPortal([ckan_package("id-1", "Titre")]) as running:
            yield running
"""

from __future__ import annotations

from connectors.http import FetchPolicy


def loopback_policy(**headers: str) -> FetchPolicy:
    """The fetch policy of a source on a stand-in: its loopback address is allow-listed."""
    return FetchPolicy(allow_private_hosts=frozenset({"127.0.0.1"}), headers=dict(headers))
