"""Hostile files meet bounds counted while reading: refused fast, in French, with the file
and the setting named, and no traceback or runaway allocation (issue: hardening)."""

import io
import json
import subprocess
import sys
import time
import zipfile

import pytest
import xlsxwriter

from connectors.tabular import normalise_csv_file, read_table
from connectors.tabular.bounds import BoundExceeded, ReaderBounds, check_lines
from connectors.tabular.errors import UnreadableFile
from tests.conftest import PROJECT_DIR


def _xlsx(cells: dict[tuple[int, int], object]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Feuil1")
    for (row, column), value in cells.items():
        sheet.write(row, column, value)
    book.close()
    return buffer.getvalue()


def test_a_sheet_spanning_a1_to_xfd1048576_is_refused_before_any_allocation():
    data = _xlsx({(0, 0): "a", (1_048_575, 16_383): "z"})
    assert len(data) < 10_000
    started = time.perf_counter()
    with pytest.raises(BoundExceeded, match=r"bombe\.xlsx: cellules couvertes .*1\u202f048\u202f576 lignes x "
                                             r"16\u202f384 colonnes.*HUB_READER_MAX_SHEET_CELLS") as error:
        read_table(data, "bombe.xlsx")
    assert error.value.bound == "max_sheet_cells" and time.perf_counter() - started < 5


def test_inflated_bytes_are_counted_not_taken_from_the_zip_directory(monkeypatch):
    data = _xlsx({(row, 0): "texte répété " * 20 for row in range(2_000)})
    monkeypatch.setenv("HUB_READER_MAX_INFLATED_BYTES", "100000")
    with pytest.raises(BoundExceeded, match="contenu décompressé du classeur.*HUB_READER_MAX_INFLATED_BYTES"):
        read_table(data, "gros.xlsx")
    # A sheet whose ZIP headers claim fewer bytes than it inflates to is refused as damaged.
    lying = _lie_about_sizes(data, "xl/worksheets/sheet1.xml")
    monkeypatch.delenv("HUB_READER_MAX_INFLATED_BYTES")
    with pytest.raises(UnreadableFile, match="menteur.xlsx"):
        read_table(lying, "menteur.xlsx")


def _lie_about_sizes(data: bytes, name: str) -> bytes:
    """The member's uncompressed size rewritten to 100 bytes in both ZIP headers."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    patched = bytearray(data)
    local = info.header_offset
    patched[local + 22:local + 26] = (100).to_bytes(4, "little")
    position = 0
    while (position := data.find(b"PK\x01\x02", position)) >= 0:
        length = int.from_bytes(data[position + 28:position + 30], "little")
        if data[position + 46:position + 46 + length] == name.encode():
            patched[position + 24:position + 28] = (100).to_bytes(4, "little")
        position += 4
    return bytes(patched)


def test_ten_thousand_columns_are_refused_from_the_header_line():
    header = ";".join(f"c{i}" for i in range(10_000))
    started = time.perf_counter()
    with pytest.raises(BoundExceeded, match=r"large\.csv: nombre de colonnes : 10\u202f000 .*HUB_READER_MAX_COLUMNS"):
        read_table(f"{header}\n{';'.join('1' * 10_000)}\n".encode(), "large.csv")
    assert time.perf_counter() - started < 2


def test_a_json_nested_a_hundred_thousand_deep_is_refused_without_a_recursion_error():
    with pytest.raises(UnreadableFile, match="profond.json: JSON imbriqué"):
        read_table(b"[" * 100_000 + b"]" * 100_000, "profond.json")


def test_a_single_line_longer_than_the_bound_is_refused_in_memory_and_streamed(monkeypatch, tmp_path):
    monkeypatch.setenv("HUB_READER_MAX_LINE_BYTES", "100000")
    line = b"a;b\n" + b"x" * 200_000 + b"\n"
    with pytest.raises(BoundExceeded, match="ligne.csv: longueur d'une ligne"):
        read_table(line, "ligne.csv")
    (tmp_path / "ligne.csv").write_bytes(line)
    with pytest.raises(BoundExceeded, match="longueur d'une ligne"):
        normalise_csv_file(tmp_path / "ligne.csv", tmp_path / "out.parquet", chunk_bytes=4096)


def test_line_lengths_carry_across_chunks(monkeypatch):
    monkeypatch.setenv("HUB_READER_MAX_LINE_BYTES", "10")
    assert check_lines(b"12345\n1234", "f") == 4
    assert check_lines(b"56\n", "f", carried=4) == 0
    with pytest.raises(BoundExceeded):
        check_lines(b"1234567", "f", carried=4)  # 11 bytes without a newline


def test_bounds_are_settings_with_defaults(monkeypatch):
    assert ReaderBounds.from_environment() == ReaderBounds()
    monkeypatch.setenv("HUB_READER_MAX_COLUMNS", "5")
    assert ReaderBounds.from_environment().max_columns == 5


@pytest.mark.parametrize(("arguments", "message"), [
    (["/dev/zero"], "not a regular file"),
    (["README.md", "--out", "/nonexistent/folder/x.parquet"], "does not exist"),
])
def test_tdh_inspect_answers_exit_2_without_a_traceback(arguments, message):
    result = subprocess.run([sys.executable, "-m", "pipelines.cli", "inspect", *arguments],  # noqa: S603
                            capture_output=True, text=True, cwd=PROJECT_DIR, timeout=60)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_geojson_past_its_bound_is_refused(monkeypatch):
    monkeypatch.setenv("HUB_READER_MAX_JSON_BYTES", "1000")
    features = [{"type": "Feature", "properties": {"n": i}, "geometry": None} for i in range(100)]
    document = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    with pytest.raises(BoundExceeded, match="carte.geojson: taille du document JSON"):
        read_table(document, "carte.geojson")
