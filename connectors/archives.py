"""Safe reading of ZIP and gzip resources fetched from member sources.

A ZIP is checked whole before a single member is extracted (SECURITY.md): names that could
escape a folder (absolute, drive letter, `..`), links, encrypted members, and sizes and
compression ratios over the limits refuse the archive. Members are then read in memory,
counting the bytes actually inflated, since the sizes a ZIP declares are the archive's own
claim. A gzip file is inflated under a byte cap, like a gzip-encoded HTTP body.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass

from connectors.http import ResourceTooLarge, UnexpectedContent, inflate, mask_url


class UnsafeArchive(UnexpectedContent):
    """An archive breaks a safety rule; nothing of it was extracted."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int = 10_000
    max_total_bytes: int = 1024 * 1024 * 1024  # uncompressed, all members together
    max_ratio: float = 100.0  # uncompressed / compressed, per member and for the archive
    # A member smaller than this cannot be a bomb, whatever its ratio (a column of blanks
    # compresses far beyond 100:1 in a few kilobytes).
    ratio_floor: int = 1024 * 1024


@dataclass(frozen=True)
class ArchiveMember:
    name: str
    size: int  # uncompressed, as declared
    compressed_size: int


_READ = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


def check_zip(data: bytes, source: str, limits: ArchiveLimits = ArchiveLimits()) -> list[ArchiveMember]:
    """The file members of a ZIP, once the whole archive has passed every check.

    `source` (a URL or an object key) names the archive in error messages.
    """
    where = mask_url(source)
    infos = _infos(data, where)
    if len(infos) > limits.max_members:
        raise UnsafeArchive(f"{where}: {len(infos)} members, over the limit of {limits.max_members}", url=where)
    seen: set[str] = set()
    members = []
    for info in infos:
        refusal = _name_refusal(info.orig_filename)
        if refusal is None and info.orig_filename in seen:
            refusal = "a name that appears twice"
        if refusal is None:
            refusal = _member_refusal(info, limits)
        if refusal is not None:
            raise UnsafeArchive(
                f"{where}: member {info.orig_filename!r} has {refusal}; nothing was extracted",
                url=where,
            )
        seen.add(info.orig_filename)
        if not info.is_dir():
            members.append(ArchiveMember(info.orig_filename, info.file_size, info.compress_size))
    total = sum(member.size for member in members)
    if total > limits.max_total_bytes:
        raise UnsafeArchive(
            f"{where}: {total} bytes uncompressed, over the limit of {limits.max_total_bytes}",
            url=where,
        )
    if total > limits.ratio_floor and total > limits.max_ratio * len(data):
        raise UnsafeArchive(
            f"{where}: expands {total / len(data):.0f} times, over the limit of {limits.max_ratio:g}",
            url=where,
        )
    return members


def read_zip(data: bytes, source: str, limits: ArchiveLimits = ArchiveLimits()) -> dict[str, bytes]:
    """Every file member's bytes by name, after `check_zip` passed the archive."""
    where = mask_url(source)
    members = check_zip(data, source, limits)
    contents: dict[str, bytes] = {}
    budget = limits.max_total_bytes
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in members:
            pieces = []
            try:
                with archive.open(member.name) as handle:
                    while piece := handle.read(_READ):
                        budget -= len(piece)
                        if budget < 0:
                            raise UnsafeArchive(
                                f"{where}: member {member.name!r} inflates past the limit of "
                                f"{limits.max_total_bytes} bytes",
                                url=where,
                            )
                        pieces.append(piece)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                raise UnexpectedContent(f"{where}: member {member.name!r} is corrupt ({exc})", url=where) from None
            contents[member.name] = b"".join(pieces)
    return contents


def read_gzip(data: bytes, source: str, max_bytes: int) -> bytes:
    """The content of a gzip file (a `.csv.gz` resource), at most `max_bytes` of it."""
    where = mask_url(source)
    if not data.startswith(b"\x1f\x8b"):
        raise UnexpectedContent(f"{where}: not gzip data", url=where)
    pieces = []
    size = 0
    try:
        for piece in inflate([data], "gzip"):
            size += len(piece)
            if size > max_bytes:
                raise ResourceTooLarge(
                    f"{where}: more than the cap of {max_bytes} bytes after gzip decompression",
                    url=where,
                )
            pieces.append(piece)
    except (zlib.error, EOFError) as exc:
        raise UnexpectedContent(f"{where}: corrupt gzip data ({exc})", url=where) from None
    return b"".join(pieces)


def _infos(data: bytes, where: str) -> list[zipfile.ZipInfo]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.infolist()
    except zipfile.BadZipFile as exc:
        raise UnexpectedContent(f"{where}: not a readable ZIP archive ({exc})", url=where) from None


def _name_refusal(name: str) -> str | None:
    """Why a member name could write outside the extraction folder, or None."""
    if not name:
        return "an empty name"
    if any(ord(char) < 32 or ord(char) == 127 for char in name):
        return "a control character in its name"
    # Windows tools write backslashes; extraction code may treat them as separators.
    path = name.replace("\\", "/")
    if path.startswith("/"):
        return "an absolute name"
    if _DRIVE.match(path):
        return "a drive-letter name"
    if ".." in path.split("/"):
        return "a '..' component in its name"
    return None


def _member_refusal(info: zipfile.ZipInfo, limits: ArchiveLimits) -> str | None:
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link type"
    if info.flag_bits & 0x1:
        return "encryption (it cannot be read)"
    if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        return f"a compression ratio of {ratio:.0f}, over the limit of {limits.max_ratio:g}"
    return None
