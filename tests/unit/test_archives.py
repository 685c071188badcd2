"""Archives from member sources: each rejection path gets a real bad file, built here byte
for byte as the tools that write them (zipfile, gzip) do, and refused before extraction."""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import struct
import warnings
import zipfile
from pathlib import Path

import pytest

from connectors.archives import (
    ArchiveLimits,
    ArchiveMember,
    UnsafeArchive,
    check_zip,
    read_gzip,
    read_zip,
)
from connectors.http import ResourceTooLarge, UnexpectedContent

SOURCE = "https://data.crach.fr/budget.zip?token=s3cr3t"
MASKED = "https://data.crach.fr/budget.zip?token=***"


def build_zip(*members: tuple[str | zipfile.ZipInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name case
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in members:
                archive.writestr(name, content)
    return buffer.getvalue()


def test_a_clean_zip_is_read_member_by_member(samples: Path) -> None:
    budget = (samples / "scdl_budget_crach_CA2021.csv").read_bytes()
    stations = (samples / "stationnement_exemple-valide.csv").read_bytes()
    data = build_zip(("budget/", b""), ("budget/CA2021.csv", budget), ("stationnement.csv", stations))
    members = check_zip(data, SOURCE)
    assert [member.name for member in members] == ["budget/CA2021.csv", "stationnement.csv"]
    assert members[0] == ArchiveMember("budget/CA2021.csv", len(budget), members[0].compressed_size)
    assert read_zip(data, SOURCE) == {"budget/CA2021.csv": budget, "stationnement.csv": stations}


@pytest.mark.parametrize(
    ("name", "cause"),
    [
        ("../evil.csv", "a '..' component"),
        ("budget/../../evil.csv", "a '..' component"),
        ("..\\..\\evil.csv", "a '..' component"),
        ("/etc/cron.d/evil", "an absolute name"),
        ("\\windows\\evil.csv", "an absolute name"),
        ("C:/Users/Public/evil.csv", "a drive-letter name"),
        ("budget\x1b[2J.csv", "a control character"),
    ],
)
def test_a_member_name_that_could_escape_refuses_the_whole_archive(name: str, cause: str) -> None:
    data = build_zip(("budget.csv", b"a;b\n1;2\n"), (name, b"payload"))
    with pytest.raises(UnsafeArchive) as caught:
        read_zip(data, SOURCE)
    message = str(caught.value)
    assert message.startswith(f"{MASKED}: member {name!r} has {cause}")
    assert message.endswith("nothing was extracted")
    assert caught.value.url == MASKED


def test_a_name_given_twice_is_refused() -> None:
    data = build_zip(("budget.csv", b"v1"), ("budget.csv", b"v2"))
    with pytest.raises(UnsafeArchive, match="'budget.csv' has a name that appears twice"):
        check_zip(data, SOURCE)


def test_a_symbolic_link_member_is_refused() -> None:
    link = zipfile.ZipInfo("budget.csv")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    data = build_zip((link, b"/etc/passwd"))
    with pytest.raises(UnsafeArchive, match="'budget.csv' has a symbolic link type"):
        check_zip(data, SOURCE)


def test_an_encrypted_member_is_refused() -> None:
    data = bytearray(build_zip(("budget.csv", b"ciphertext")))
    # zipfile cannot encrypt: set the "encrypted" bit of the local and central headers.
    data[data.find(b"PK\x03\x04") + 6] |= 0x1
    data[data.find(b"PK\x01\x02") + 8] |= 0x1
    with pytest.raises(UnsafeArchive, match="'budget.csv' has encryption"):
        check_zip(bytes(data), SOURCE)


def test_a_zip_bomb_member_is_refused_by_its_ratio() -> None:
    data = build_zip(("zeros.csv", b"\0" * (10 * 1024 * 1024)))
    with pytest.raises(UnsafeArchive) as caught:
        check_zip(data, SOURCE)
    assert "member 'zeros.csv' has a compression ratio of" in str(caught.value)
    assert "over the limit of 100" in str(caught.value)


def test_many_small_members_are_refused_by_the_ratio_of_the_whole_archive() -> None:
    # Each member stays under the ratio floor; together they expand 500 times or more.
    members = [(f"part-{n}.csv", b"\0" * (900 * 1024)) for n in range(20)]
    data = build_zip(*members)
    with pytest.raises(UnsafeArchive, match=r"expands \d+ times, over the limit of 100"):
        check_zip(data, SOURCE)


def test_a_small_member_with_a_high_ratio_is_not_a_bomb() -> None:
    data = build_zip(("blanks.csv", b";" * 200_000))
    assert read_zip(data, SOURCE)["blanks.csv"] == b";" * 200_000


def test_the_total_uncompressed_size_is_limited() -> None:
    data = build_zip(("a.csv", os.urandom(800)), ("b.csv", os.urandom(800)))
    with pytest.raises(UnsafeArchive, match="1600 bytes uncompressed, over the limit of 1000"):
        check_zip(data, SOURCE, ArchiveLimits(max_total_bytes=1000))


def test_the_number_of_members_is_limited() -> None:
    data = build_zip(*[(f"{n}.csv", b"x") for n in range(4)])
    with pytest.raises(UnsafeArchive, match="4 members, over the limit of 3"):
        check_zip(data, SOURCE, ArchiveLimits(max_members=3))


def test_a_member_that_lies_about_its_size_is_caught_when_read() -> None:
    content = os.urandom(200_000)
    data = bytearray(build_zip(("budget.csv", content)))
    # Declare 1,000 bytes instead of 200,000 in the local header and the central directory.
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, local + 22, 1000)
    struct.pack_into("<I", data, central + 24, 1000)
    assert check_zip(bytes(data), SOURCE)[0].size == 1000
    with pytest.raises(UnexpectedContent, match=r"member 'budget.csv' is corrupt \(Bad CRC-32"):
        read_zip(bytes(data), SOURCE)


def test_something_else_than_a_zip_is_unexpected_content() -> None:
    with pytest.raises(UnexpectedContent, match=f"^{re.escape(MASKED)}: not a readable ZIP archive"):
        check_zip(b"<!DOCTYPE html><html>Not found</html>", SOURCE)


def test_gzip_content_is_read(samples: Path) -> None:
    csv = (samples / "cantines_teledeclarations_2021.csv").read_bytes()
    assert read_gzip(gzip.compress(csv), SOURCE, max_bytes=len(csv)) == csv


def test_concatenated_gzip_members_are_read_whole() -> None:
    data = gzip.compress(b"code;nom\n") + gzip.compress(b"01001;Clemenciat\n")
    assert read_gzip(data, SOURCE, max_bytes=1000) == b"code;nom\n01001;Clemenciat\n"


def test_a_gzip_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(b"\0" * (10 * 1024 * 1024))
    with pytest.raises(ResourceTooLarge) as caught:
        read_gzip(bomb, SOURCE, max_bytes=1024 * 1024)
    assert str(caught.value) == (f"{MASKED}: more than the cap of 1048576 bytes after gzip decompression")


@pytest.mark.parametrize(
    ("data", "cause"),
    [
        (b"code;nom\n01001;Clemenciat\n", "not gzip data"),
        (gzip.compress(b"code;nom\n" * 1000)[:-30], "corrupt gzip data (the compressed stream ends early)"),
        (b"\x1f\x8b\x08\x00garbage-not-deflate", "corrupt gzip data"),
    ],
)
def test_broken_gzip_is_unexpected_content(data: bytes, cause: str) -> None:
    with pytest.raises(UnexpectedContent) as caught:
        read_gzip(data, SOURCE, max_bytes=1024 * 1024)
    assert str(caught.value).startswith(f"{MASKED}: {cause}")
