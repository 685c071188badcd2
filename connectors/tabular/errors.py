"""The one error of the tabular reader: a file that is not a table the hub can read."""

from __future__ import annotations


class UnreadableFile(ValueError):
    """A file cannot be read as a table; the message names the file and the cause."""

    def __init__(self, filename: str, cause: str) -> None:
        super().__init__(f"{filename}: {cause}")
        self.filename = filename
        self.cause = cause
