"""Spreadsheets are ZIP containers: a bomb dressed as XLSX is refused before inflating."""

import io
import zipfile

import pytest

from connectors.tabular import UnreadableFile, read_table


def test_xlsx_bomb_is_refused_with_its_name():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (8 * 1024 * 1024))
    with pytest.raises(UnreadableFile, match=r"bombe\.xlsx.*compression ratio"):
        read_table(buffer.getvalue(), "bombe.xlsx")
