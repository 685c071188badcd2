"""The committee's library of AI projects: one YAML file per project in `projets-ia/`
beside the committee file, and the ethics charter `charte-ethique.yaml` they answer to.

`load_library` reads them all and checks what each project names: its member, the
catalogue datasets it uses (declared in the committee file, or a pooled dataset) and the
charter's commitments. Every fault is `<file>: <path inside it>: <message>`, the file
relative to the committee's folder, e.g.
`projets-ia/plaisir-assistant.yaml: jeux_de_donnees[1]: ...`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from catalog.committee import Committee, ConfigError, describe_error, read_yaml
from catalog.naming import dataset_slug
from catalog.projects.model import Charter, Project

PROJECTS_FOLDER = "projets-ia"
CHARTER_FILE = "charte-ethique.yaml"
# CKAN names are at most 100 characters: <committee>-ia-<file name>.
MAX_NAME = 100
FILE_STEM = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class LibraryProject:
    name: str  # its CKAN name: <committee slug>-ia-<file stem>
    file: str  # relative to the committee's folder, for messages
    project: Project


@dataclass(frozen=True)
class Library:
    charter: Charter | None
    projects: tuple[LibraryProject, ...]


def project_name(committee: Committee, stem: str) -> str:
    return f"{committee.slug}-ia-{stem}"


def committee_datasets(committee: Committee, pooled: Iterable[str]) -> dict[str, str | None]:
    """Every catalogue dataset the committee file names -> the reason it is withheld, or None.

    A member's dataset is known by its id in the file (a plain file's id, a station code, a
    `datasets:` entry), so a portal's dataset a project uses is declared under `datasets:`,
    where its governance goes too. `pooled`: the enabled packs' names.
    """
    known: dict[str, str | None] = {}
    for member in committee.members:
        for source in member.sources:
            ids = [f.id for f in source.files] + [s.code for s in source.stations] + list(source.datasets)
            for remote_id in ids:
                override = source.datasets.get(remote_id)
                known[dataset_slug(member.slug, remote_id)] = override.withhold if override else None
    for pack in pooled:
        known[f"{committee.slug}-{pack.replace('_', '-')}"] = None
    return known


def load_library(committee_path: Path | str, committee: Committee, pooled: Iterable[str] = ()) -> Library:
    """The charter and every project of the committee's folder, checked; ConfigError lists
    every fault of every file at once."""
    folder = Path(committee_path).resolve().parent
    problems: list[str] = []
    charter = _read(folder / CHARTER_FILE, CHARTER_FILE, Charter, problems)
    projects: list[LibraryProject] = []
    for path in sorted((folder / PROJECTS_FOLDER).glob("*.yaml")):
        relative = f"{PROJECTS_FOLDER}/{path.name}"
        name = project_name(committee, path.stem)
        if not FILE_STEM.match(path.stem) or len(name) > MAX_NAME:
            problems.append(f"{relative}: the file name makes the project's CKAN name ({name!r}): use a-z, 0-9 "
                            f"and '-' only, at most {MAX_NAME - len(project_name(committee, ''))} characters")
            continue
        project = _read(path, relative, Project, problems)
        if project is not None:
            problems += [f"{relative}: {fault}" for fault in _references(project, committee, charter, pooled)]
            projects.append(LibraryProject(name, relative, project))
    if projects and charter is None and not (folder / CHARTER_FILE).exists():
        problems.append(f"{CHARTER_FILE}: missing: the projects of {PROJECTS_FOLDER}/ answer to the committee's "
                        "ethics charter, which lists the commitments they name")
    if problems:
        raise ConfigError(committee_path, problems)
    return Library(charter, tuple(projects))


def _read(path: Path, relative: str, model, problems: list[str]):
    if not path.exists():
        return None
    try:
        raw = read_yaml(path)
    except ConfigError as exc:
        problems += [f"{relative}: {problem}" for problem in exc.problems]
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems += [f"{relative}: {describe_error(err)}" for err in exc.errors()]
        return None


def _references(project: Project, committee: Committee, charter: Charter | None, pooled: Iterable[str]):
    members = [m.slug for m in committee.members]
    if project.membre not in members:
        yield f"membre: {project.membre!r} is not a member of the committee ({', '.join(members)})"
    known = committee_datasets(committee, pooled)
    members_only = {dataset_slug(member.slug, remote_id) for member in committee.members for source in member.sources
                    for remote_id, override in source.datasets.items() if override.access == "members"}
    for i, use in enumerate(project.jeux_de_donnees):
        if use.nom not in known:
            yield (f"jeux_de_donnees[{i}]: {use.nom!r} is not a dataset of the committee: name a dataset the "
                   "committee file declares (<member>-<id>: a file, a station, an entry of `datasets:`) or a "
                   "pooled dataset (<committee>-<pack>)")
        elif known[use.nom] is not None:
            yield (f"jeux_de_donnees[{i}]: {use.nom!r} is withheld by the committee ({known[use.nom]}): "
                   "it is not in the catalogue")
        elif use.nom in members_only:
            yield (f"jeux_de_donnees[{i}]: {use.nom!r} is members-only (access: members): a project's page and the "
                   "library's exports are public and would name it; describe the data in the project's text")
    ids = [c.id for c in charter.engagements] if charter else []
    for i, met in enumerate(project.engagements):
        if charter is None or charter.commitment(met.id) is None:
            yield (f"engagements[{i}].id: {met.id!r} is not a commitment of {CHARTER_FILE} "
                   f"({', '.join(ids) or 'no charter'})")
