"""The library of AI projects and the ethics charter: the demo's files, the faults `tdh
check` names with their file and path, the CKAN packages and exports, and the governance
fields of every dataset."""

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml

from catalog.committee import ConfigError, load_committee
from catalog.governance import Governance, dataset_governance, governance_fields
from catalog.projects.library import load_library
from catalog.projects.model import RISK_LEVELS, STATUSES
from catalog.projects.packages import library_dataset, project_dataset
from catalog.publication import plan
from pipelines.cli import main

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEMO = PROJECT_DIR / "demo"
CKAN_CONF = PROJECT_DIR / "deploy" / "local" / "ckan"
POOLED = ["eau_potable", "restauration_collective", "budget", "subventions", "hauteurs_eau"]
URL = "http://catalogue.test"


@pytest.fixture
def committee_copy(tmp_path) -> Path:
    """The demo committee, its charter and its projects, in a folder a test may break."""
    shutil.copy(DEMO / "committee.yaml", tmp_path / "committee.yaml")
    shutil.copy(DEMO / "charte-ethique.yaml", tmp_path / "charte-ethique.yaml")
    shutil.copytree(DEMO / "projets-ia", tmp_path / "projets-ia")
    return tmp_path / "committee.yaml"


def _edit(path: Path, edit) -> None:
    raw = yaml.safe_load(path.read_text())
    edit(raw)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))


def test_the_demo_ships_the_reports_five_projects_with_their_sources():
    committee = load_committee(DEMO / "committee.yaml")
    library = load_library(DEMO / "committee.yaml", committee, POOLED)
    by_member = {item.project.membre: item.project for item in library.projects}
    assert sorted(by_member) == ["auray", "carnac", "crach", "pluvigner", "quiberon"]
    figures = {r.valeur for p in by_member.values() for r in p.resultats}
    assert {"de 65 % à 8 %", "98 %", "10 semaines", "800 m3 distribués pour 600 m3 facturés", "5",
            "150 m3 par jour"} <= figures
    # Every figure says where it comes from, and every project which real collectivity it describes.
    assert all("rapport du Sénat" in r.source for p in by_member.values() for r in p.resultats)
    assert all("rapport du Sénat" in p.origine for p in by_member.values())
    assert {c.id for c in library.charter.engagements} >= {"transparence", "controle-humain"}


def test_a_missing_dataset_fails_tdh_check_with_its_file_and_path(committee_copy, capsys):
    assert main(["check", str(committee_copy)]) == 0
    assert "AI projects: 5, charter: 6 commitments" in capsys.readouterr().out
    _edit(committee_copy.parent / "projets-ia" / "detection-fuites-reseau-eau.yaml",
          lambda p: p["jeux_de_donnees"][1].update(nom="crach-volumes-gaz"))
    assert main(["check", str(committee_copy)]) == 1
    err = capsys.readouterr().err
    assert ("projets-ia/detection-fuites-reseau-eau.yaml: jeux_de_donnees[1]: 'crach-volumes-gaz' "
            "is not a dataset") in err


def test_a_missing_commitment_fails_tdh_check_with_its_file_and_path(committee_copy, capsys):
    _edit(committee_copy.parent / "projets-ia" / "assistant-telephonique.yaml",
          lambda p: p["engagements"].append({"id": "loyaute", "comment": "..."}))
    assert main(["check", str(committee_copy)]) == 1
    err = capsys.readouterr().err
    assert "projets-ia/assistant-telephonique.yaml: engagements[3].id: 'loyaute' is not a commitment of " \
           "charte-ethique.yaml" in err


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda p: p.update(membre="lorient"), "membre: 'lorient' is not a member"),
    (lambda p: p["risque"].update(niveau="moyen"), "risque.niveau: Input should be"),
    (lambda p: p.update(statut="pilote"), "statut: Input should be"),
    (lambda p: p["jeux_de_donnees"].append("pluvigner-cantines-contacts"), "jeux_de_donnees[2]: "
     "'pluvigner-cantines-contacts' is withheld by the committee"),
    (lambda p: p.pop("controle_humain"), "controle_humain: Field required"),
    (lambda p: p["documents"].append({"titre": "Délibération", "url": "ftp://x"}), "documents[0].url"),
])
def test_project_faults_name_the_file_and_the_path(committee_copy, edit, expected):
    def with_documents(p):
        p.setdefault("documents", [])
        edit(p)

    _edit(committee_copy.parent / "projets-ia" / "prevision-repas-cantines.yaml", with_documents)
    committee = load_committee(committee_copy)
    with pytest.raises(ConfigError) as error:
        load_library(committee_copy, committee, POOLED)
    assert any(problem.startswith("projets-ia/prevision-repas-cantines.yaml: ") and expected in problem
               for problem in error.value.problems), error.value.problems


def test_projects_without_a_charter_and_a_bad_file_name_are_refused(committee_copy):
    (committee_copy.parent / "charte-ethique.yaml").unlink()
    shutil.copy(committee_copy.parent / "projets-ia" / "stationnement-solaire.yaml",
                committee_copy.parent / "projets-ia" / "Stationnement Solaire.yaml")
    with pytest.raises(ConfigError) as error:
        load_library(committee_copy, load_committee(committee_copy), POOLED)
    problems = "\n".join(error.value.problems)
    assert "charte-ethique.yaml: missing" in problems
    assert "projets-ia/Stationnement Solaire.yaml: the file name" in problems
    assert "engagements[0].id: 'controle-humain' is not a commitment of charte-ethique.yaml (no charter)" in problems


def test_a_project_is_a_projet_ia_package_in_its_members_organization():
    committee = load_committee(DEMO / "committee.yaml")
    library = load_library(DEMO / "committee.yaml", committee, POOLED)
    [item] = [i for i in library.projects if i.project.membre == "crach"]
    dataset = project_dataset(item, committee, library, URL, {"crach-volumes-eau": "Volumes d'eau potable mensuels"})
    fields = dataset.fields
    assert dataset.name == "ctd-aqta-ia-detection-fuites-reseau-eau"
    assert (fields["type"], fields["owner_org"], fields["statut"], fields["niveau_risque"]) == (
        "projet-ia", "crach", "en_production", "minimal")
    assert fields["jeux_de_donnees"][0] == {"nom": "crach-volumes-eau", "titre": "Volumes d'eau potable mensuels",
                                            "usage": "volumes mensuels distribués et facturés de la commune"}
    assert fields["jeux_de_donnees"][1]["titre"] == "ctd-aqta-eau-potable"  # not in the catalogue: its name
    assert [e["titre"] for e in fields["engagements"]][0] == "Un agent garde la décision"
    assert fields["related_resource"] == [f"{URL}/dataset/crach-volumes-eau", f"{URL}/dataset/ctd-aqta-eau-potable"]
    assert fields["dcat_type"] == f"{URL}/projet-ia"
    assert "fuites" in dataset.tags

    # Published as it is: nothing to do. A changed status: an update.
    held = {**fields, "name": dataset.name, "organization": {"name": "crach"}, "state": "active",
            "tags": [{"name": t} for t in dataset.tags], "resources": []}
    assert plan([dataset], {dataset.name: held}).unchanged == [dataset.name]
    assert plan([dataset], {dataset.name: {**held, "statut": "experimentation"}}).update == [dataset]


def test_the_library_exports_are_the_same_bytes_every_run():
    committee = load_committee(DEMO / "committee.yaml")
    library = load_library(DEMO / "committee.yaml", committee, POOLED)
    first, second = (library_dataset(committee, library, URL) for _ in range(2))
    assert [r.sha256 for r in first.resources] == [r.sha256 for r in second.resources]
    rows = list(csv.DictReader(io.StringIO(first.resources[0].content().decode())))
    assert len(rows) == 5 and rows[0]["page"].startswith(f"{URL}/projet-ia/ctd-aqta-ia-")
    assert {row["statut"] for row in rows} <= set(STATUSES.values())
    exported = json.loads(first.resources[1].content())
    assert len(exported["projets"]) == 5 and exported["charte"]["version"] == "1.0"


def test_ckan_schemas_offer_the_models_codes_with_french_labels():
    projects = yaml.safe_load((CKAN_CONF / "projet_ia.yaml").read_text())
    fields = {f["field_name"]: f for f in projects["dataset_fields"]}
    assert projects["dataset_type"] == "projet-ia"
    assert {c["value"]: c["label"] for c in fields["statut"]["choices"]} == STATUSES
    assert {c["value"]: c["label"] for c in fields["niveau_risque"]["choices"]} == RISK_LEVELS
    datasets = yaml.safe_load((CKAN_CONF / "hub_dataset.yaml").read_text())
    fields = {f["field_name"]: f for f in datasets["dataset_fields"]}
    bases = {c["value"] for c in fields["legal_basis"]["choices"]}
    assert governance_fields(Governance(legal_basis="public_task"))["legal_basis"] in bases
    verdicts = {c["value"] for c in fields["personal_data_verdict"]["choices"]}
    assert verdicts == set(Governance.model_fields["personal_data"].annotation.__args__[0].__args__)


def test_a_datasets_governance_overrides_the_committees_key_by_key():
    committee = load_committee(DEMO / "committee.yaml")
    station = committee.member("auray").sources[1].datasets["J561301001"]
    fields = dataset_governance(committee.governance, station.governance, station.personal_data_exemption)
    assert fields["legal_basis"] == "https://w3id.org/dpv/legal/eu/gdpr#A6-1-e"  # its own
    assert fields["personal_data_verdict"] == "none"  # the committee's
    assert fields["retention"] == "30 jours d'observations glissants"
    assert fields["applicable_legislation"] is None  # no personal data: no GDPR line in DCAT
    exempted = dataset_governance(committee.governance, Governance(personal_data="present"), "intérêt public")
    assert exempted["applicable_legislation"] == ["http://data.europa.eu/eli/reg/2016/679/oj"]
    assert exempted["personal_data_exemption"] == "intérêt public"
    # Governance is metadata: the decisions the manifest records (and staging fingerprints) leave it out.
    assert "governance" not in station.model_dump(by_alias=True)


def test_the_run_summary_says_what_happened_to_the_projects(capsys):
    from pipelines.runner import RunOutcome, print_summary

    print_summary(RunOutcome(True, "run", metadata={"ai_projects": {
        "projects": ["ctd-aqta-ia-a", "ctd-aqta-ia-b"], "created": 0, "updated": 1, "unchanged": 2, "archived": 1,
        "missing_datasets": ["ctd-aqta-ia-a: crach-volumes-eau"]}}))
    out = capsys.readouterr().out
    assert "AI projects: 2 in the library; 0 created, 1 updated, 2 unchanged, 1 archived" in out
    assert "does not hold yet: ctd-aqta-ia-a: crach-volumes-eau" in out
