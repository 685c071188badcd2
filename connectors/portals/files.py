"""Plain file URLs a member lists in the committee configuration, outside any portal.

Nothing is fetched to list them: each declared file is one dataset with one resource.
Its identity is the id the committee gave it, so a file that moves to a new URL stays the
same dataset; the URL is kept as an alias to recognise the file reached by another path.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol
from urllib.parse import unquote, urlsplit

from connectors.portals.listing import normalise_format
from connectors.records import RemoteDataset, RemoteResource


class DeclaredFile(Protocol):
    """What the configuration says about one file (catalog.committee.FileEntry fits)."""

    @property
    def id(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def format(self) -> str | None: ...


def list_datasets(files: Iterable[DeclaredFile]) -> Iterator[RemoteDataset]:
    """One dataset per declared file, in the order of the configuration."""
    for declared in files:
        name = unquote(urlsplit(declared.url).path.rstrip("/").rsplit("/", 1)[-1])
        yield RemoteDataset(
            remote_id=declared.id,
            title=declared.title,
            description=declared.description,
            resources=(
                RemoteResource(
                    url=declared.url,
                    name=name or declared.id,
                    format=normalise_format(declared.format, declared.url),
                ),
            ),
            same_as=(declared.url,),
        )
