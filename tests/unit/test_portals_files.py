"""Plain file URLs from the configuration, listed without any request."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.portals import files


@dataclass(frozen=True)
class Declared:  # the shape of catalog.committee.FileEntry
    id: str
    url: str
    title: str
    description: str = ""
    format: str | None = None


def test_each_declared_file_is_one_dataset_with_one_resource():
    declared = [
        Declared(
            "volumes-eau",
            "https://crach.example.fr/data/volumes%20eau.csv",
            "Volumes d'eau",
            "Volumes mensuels.",
        ),
        Declared("budget", "https://crach.example.fr/export?id=42", "Budget", format="xlsx"),
        Declared("sans-extension", "https://crach.example.fr/export", "Export"),
    ]
    listed = list(files.list_datasets(declared))
    assert [(d.remote_id, d.title, d.identity) for d in listed] == [
        ("volumes-eau", "Volumes d'eau", "volumes-eau"),
        ("budget", "Budget", "budget"),
        ("sans-extension", "Export", "sans-extension"),
    ]
    assert listed[0].description == "Volumes mensuels."
    assert [(r.url, r.name, r.format) for d in listed for r in d.resources] == [
        ("https://crach.example.fr/data/volumes%20eau.csv", "volumes eau.csv", "CSV"),
        ("https://crach.example.fr/export?id=42", "export", "XLSX"),
        ("https://crach.example.fr/export", "export", ""),
    ]
    assert listed[1].same_as == ("https://crach.example.fr/export?id=42",)


def test_nothing_declared_lists_nothing():
    assert list(files.list_datasets([])) == []
