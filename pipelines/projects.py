"""Publishing the committee's library of AI projects: each project as a `projet-ia` CKAN
dataset in its member's organization, the library's exports (CSV, JSON) in a dataset of
the committee's organization, by the same plan and apply as the data.

Archived, not purged: a project whose file is gone is deleted in CKAN's sense (state
`deleted`), as the hub archives a dataset a member stopped publishing. Its page, search
entry and DCAT record go; a sysadmin can still see and undo it, its name stays taken, and
the file coming back reactivates it in place. `private` would keep it in every sysadmin's
search and in the organization's count, as if the project still ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from catalog.committee import Committee
from catalog.projects.library import load_library, project_name
from catalog.projects.packages import PROJECT_TYPE, library_dataset, library_dataset_name, project_dataset
from catalog.publication import apply, indexed_packages, plan_against_catalogue, published_packages

# The most projects one committee's search for its published projects answers.
MAX_PROJECTS = 1000


@dataclass
class ProjectsPublication:
    projects: list[str] = field(default_factory=list)
    plan: dict = field(default_factory=dict)
    # "project: dataset" for a dataset a project names that the catalogue does not hold (yet).
    missing_datasets: list[str] = field(default_factory=list)


def publish_projects(committee: Committee, committee_path: Path | str, pooled: list[str], ckan,
                     catalogue_url: str, workers: int = 1) -> ProjectsPublication:
    """Bring CKAN in line with the committee's projects files: create or update what
    changed, leave the rest, archive the projects whose file is gone."""
    library = load_library(committee_path, committee, pooled)
    result = ProjectsPublication(projects=[item.name for item in library.projects])
    used = sorted({use.nom for item in library.projects for use in item.project.jeux_de_donnees})
    # The index may lag a second behind the member runs that just published: what it lacks is read.
    indexed = indexed_packages(ckan, used)
    found = indexed | published_packages(ckan, [name for name in used if name not in indexed], workers)
    held = {name: package for name, package in found.items() if package.get("state") == "active"}
    titles = {name: package["title"] for name, package in held.items()}
    result.missing_datasets = [f"{item.name}: {use.nom}" for item in library.projects
                               for use in item.project.jeux_de_donnees if use.nom not in held]
    desired = [project_dataset(item, committee, library, catalogue_url, titles) for item in library.projects]
    if library.projects:
        desired.append(library_dataset(committee, library, catalogue_url))
    archive = [name for name in published_projects(ckan, committee) if name not in result.projects]
    if not library.projects:
        archive.append(library_dataset_name(committee))
    todo = plan_against_catalogue(ckan, desired, archive=archive, workers=workers)
    apply(todo, ckan, workers)
    result.plan = todo.summary()
    return result


def published_projects(ckan, committee: Committee) -> list[str]:
    """The names of the committee's projects CKAN holds and has not archived."""
    prefix = project_name(committee, "")
    answer = ckan.action.package_search(fq=f"dataset_type:{PROJECT_TYPE} AND name:{prefix}*", rows=MAX_PROJECTS,
                                        include_private=True)
    return sorted(package["name"] for package in answer["results"])
