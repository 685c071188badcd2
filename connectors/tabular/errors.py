"""The one error of the tabular reader: a file that is not a table the hub can read."""

from __future__ import annotations


class UnreadableFile(ValueError):
    """A file cannot be read as a table; the message names the file and the cause."""

    def __init__(self, filename: str, cause: str) -> None:
        super().__init__(f"{filename}: {cause}")
        self.filename = filename
        self.cause = cause


def first_line(error: Exception) -> str:
    """The gist of a library's error: polars appends its whole query plan to the message."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
