"""Which character encoding a member's file uses, and the repair of double-encoded UTF-8.

French files come as UTF-8 (with or without BOM), Windows-1252 (what Excel writes for
"CSV") or ISO-8859-1. The two single-byte encodings agree everywhere except on bytes
0x80-0x9F, printable in Windows-1252 (€ œ ’ …) and control characters in ISO-8859-1: a
file that uses them is Windows-1252; one that does not is reported as ISO-8859-1 (both
decode it to the same text).

Double-encoded UTF-8 ("Ã©" for "é") is UTF-8 that was read once as Windows-1252 and saved
again as UTF-8; it is valid UTF-8, so it is repaired on the decoded text, not detected as
an encoding.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from connectors.tabular.errors import UnreadableFile

# UTF-32 first: its little-endian BOM starts with the UTF-16 one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
HEAD_BYTES = 1 << 20
_WINDOWS_1252_ONLY = re.compile(rb"[\x80-\x9f]")
# Control characters other than tab, line feed, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Encoding:
    """How a file's bytes become text."""

    name: str  # as reported: utf-8, utf-16, windows-1252, iso-8859-1...
    codec: str  # the Python codec that decodes it (utf-8-sig skips a BOM)
    bom: bool = False


def detect_encoding(sample: bytes, filename: str, *, complete: bool = True) -> Encoding:
    """Guess the encoding from the file's first bytes (`complete` when that is all of it)."""
    for bom, codec in _BOMS:
        if sample.startswith(bom):
            return Encoding(codec.removesuffix("-sig"), codec, bom=True)
    if b"\x00" in sample:
        return _utf16_without_bom(sample, filename)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
    except UnicodeDecodeError:
        pass
    else:
        return Encoding("utf-8", "utf-8")
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        # A byte Windows-1252 leaves undefined: some other single-byte encoding.
        return _best_guess(sample, filename)
    if _WINDOWS_1252_ONLY.search(sample):
        return Encoding("windows-1252", "cp1252")
    # Without bytes 0x80-0x9F both decode the same; cp1252 also for the streamed rest.
    return Encoding("iso-8859-1", "cp1252")


def _utf16_without_bom(sample: bytes, filename: str) -> Encoding:
    # UTF-16 text in Latin script has a NUL in every other byte; binary files do not.
    even, odd = sample[0::2], sample[1::2]
    if odd and odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
        return Encoding("utf-16-le", "utf-16-le")
    if even and even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
        return Encoding("utf-16-be", "utf-16-be")
    raise UnreadableFile(filename, "binary content (NUL bytes), not a text table")


def _best_guess(sample: bytes, filename: str) -> Encoding:
    # Imported here: few files need it, and it costs every `tdh` start tens of milliseconds.
    import charset_normalizer

    match = charset_normalizer.from_bytes(sample).best()
    if match is None:
        raise UnreadableFile(filename, "binary content, no text encoding fits")
    codec = codecs.lookup(match.encoding).name
    return Encoding(codec, codec)


def decode(data: bytes, filename: str) -> tuple[str, Encoding]:
    """Decode a whole file, refusing binary content.

    The encoding is guessed from the head; if a byte further down contradicts it (a
    Windows-1252 character after megabytes of ASCII), the guess is made on the whole file.
    """
    head = data[:HEAD_BYTES]
    encoding = detect_encoding(head, filename, complete=len(head) == len(data))
    try:
        text = data.decode(encoding.codec)
    except UnicodeDecodeError:
        encoding = detect_encoding(data, filename)
        try:
            text = data.decode(encoding.codec)
        except UnicodeDecodeError as error:
            cause = f"not valid {encoding.name} at byte {error.start}"
            raise UnreadableFile(filename, cause) from None
    if encoding.name == "iso-8859-1" and _WINDOWS_1252_ONLY.search(data):
        encoding = Encoding("windows-1252", "cp1252")
    check_text(text, filename)
    return text, encoding


def check_text(text: str, filename: str) -> None:
    """Refuse text that holds no table: binary content decoded by accident, a web page."""
    head = text[:65536]
    if len(_CONTROL.findall(head)) > max(2, len(head) // 200):
        raise UnreadableFile(filename, "binary content (control characters), not a text table")
    start = head[:2048].lstrip("\ufeff \t\r\n").lower()
    if start.startswith(("<!doctype html", "<html")) or "<body" in start:
        cause = "an HTML page, not a table (the link leads to a web page, not the file)"
        raise UnreadableFile(filename, cause)
    if start.startswith("<"):
        raise UnreadableFile(filename, "an XML or markup document, not a table")


def _mojibake_table() -> dict[str, str]:
    """Each Latin character as it reads once its UTF-8 bytes went through Windows-1252."""
    characters = [chr(code) for code in range(0xA0, 0x100)] + list("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ")
    table: dict[str, str] = {}
    for character in characters:
        raw = character.encode("utf-8")
        table[raw.decode("latin-1")] = character
        table["".join(_windows_1252_or_latin1(byte) for byte in raw)] = character
    # "à" is C3 A0; the no-break space A0 often became a plain space on the way.
    table["Ã "] = "à"
    return dict(sorted(table.items(), key=lambda item: -len(item[0])))


def _windows_1252_or_latin1(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


MOJIBAKE = _mojibake_table()
_MOJIBAKE_PATTERN = re.compile("|".join(re.escape(key) for key in MOJIBAKE))


def repair_double_encoding(text: str) -> str:
    """'RÃ©fÃ©rence' -> 'Référence'; text without such sequences is returned unchanged."""
    return _MOJIBAKE_PATTERN.sub(lambda match: MOJIBAKE[match.group()], text)


# UTF-8 bytes of "Ã", "Â", "Å", "Æ", "Ë" or "â" followed by the first byte of a character
# from the Latin-1 or Windows-1252 upper half: how every key of MOJIBAKE starts.
_MOJIBAKE_BYTES = re.compile(rb"\xc3[\x82\x83\x85\x86\x8b\xa2][\xc2\xc5\xc6\xcb\xe2 ]")


def might_be_double_encoded(utf8: bytes) -> bool:
    """Cheap test on UTF-8 bytes: false means no cell needs looking at for repair."""
    return _MOJIBAKE_BYTES.search(utf8) is not None
