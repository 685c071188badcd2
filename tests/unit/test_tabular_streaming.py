"""Files larger than the memory budget: CSV normalised from disk to Parquet in chunks."""

import polars as pl
import pytest

from connectors.tabular import UnreadableFile, normalise_csv_file, normalise_file, read_table
from connectors.tabular.streaming import SAMPLE_BYTES


def test_a_windows_1252_byte_after_the_head_switches_the_whole_file(tmp_path):
    # The head the encoding is guessed from is plain ASCII; "é" and "€" come later.
    filler = "".join(f"{n:07d};Paris;{n % 100},5\n" for n in range(SAMPLE_BYTES // 17 + 10))
    text = "code;commune;montant\n" + filler + "0000001;Orléans €;7,5\n"
    source = tmp_path / "gros.csv"
    source.write_bytes(text.encode("cp1252"))
    assert source.stat().st_size > SAMPLE_BYTES
    report = normalise_csv_file(source, tmp_path / "gros.parquet", chunk_bytes=1 << 16)
    frame = pl.read_parquet(tmp_path / "gros.parquet")
    assert report["encoding"] == "windows-1252" and report["streamed"]
    assert frame["commune"][-1] == "Orléans €"
    assert frame["code"][0] == "0000000"
    assert frame["montant"][-1] == 7.5
    assert report["rows"] == frame.height == text.count("\n") - 1


def test_utf8_characters_split_across_chunks(tmp_path):
    text = "nom;valeur\n" + "".join(f"Île-de-France Œ {n};{n}\n" for n in range(500))
    source = tmp_path / "idf.csv"
    source.write_text(text, encoding="utf-8")
    report = normalise_csv_file(source, tmp_path / "idf.parquet", chunk_bytes=7)
    frame = pl.read_parquet(tmp_path / "idf.parquet")
    assert report["encoding"] == "utf-8"
    assert frame.equals(read_table(source.read_bytes(), "idf.csv").frame)


def test_double_encoding_is_repaired_while_streaming(tmp_path):
    source = tmp_path / "m.csv"
    source.write_text("nom;n\nRÃ©gion;1\nCafÃ©;2\n", encoding="utf-8")
    report = normalise_csv_file(source, tmp_path / "m.parquet")
    assert pl.read_parquet(tmp_path / "m.parquet")["nom"].to_list() == ["Région", "Café"]
    assert any(entry["kind"] == "double_encoding_repaired" for entry in report["changes"])


def test_the_budget_decides_between_memory_and_streaming(tmp_path):
    source = tmp_path / "f.csv"
    source.write_text("code_insee;montant\n01001;1 200,5\n2A004;3\n", encoding="utf-8")
    streamed = normalise_file(source, tmp_path / "s.parquet", memory_budget=10)
    in_memory = normalise_file(source, tmp_path / "m.parquet")
    assert streamed.get("streamed") and not in_memory.get("streamed")
    assert pl.read_parquet(tmp_path / "s.parquet").equals(pl.read_parquet(tmp_path / "m.parquet"))
    assert pl.read_parquet(tmp_path / "s.parquet")["code_insee"].to_list() == ["01001", "2A004"]


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        (b"", "empty file"),
        (b"\x00\x01\x02\xff" * 1000, "binary content"),
        (b"<!DOCTYPE html><html><body>Erreur 500</body></html>", "HTML page"),
    ],
)
def test_unreadable_files_too_large_for_memory(tmp_path, content, cause):
    source = tmp_path / "export.csv"
    source.write_bytes(content)
    with pytest.raises(UnreadableFile, match=rf"^export\.csv: .*{cause}"):
        normalise_file(source, tmp_path / "out.parquet", memory_budget=0)
    assert not (tmp_path / "out.parquet").exists()
