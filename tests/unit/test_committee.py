from pathlib import Path

import pytest
import yaml

from catalog.committee import ConfigError, load_committee
from catalog.identifiers import is_insee_commune, is_siren, is_siret
from pipelines.cli import main

DEMO = Path(__file__).resolve().parents[2] / "demo" / "committee.yaml"


def test_demo_committee_is_valid():
    committee = load_committee(DEMO)
    assert len(committee.members) >= 4
    assert {m.insee for m in committee.members} >= {"56007", "56034", "56046", "56186"}
    assert all("," not in m.slug for m in committee.members)
    assert committee.leads[0].member == "auray"


def _broken(tmp_path: Path, edit) -> Path:
    raw = yaml.safe_load(DEMO.read_text())
    edit(raw)
    path = tmp_path / "committee.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda c: c["members"][2].update(siren="215600462"), "members[2].siren"),
        (lambda c: c["members"][1].update(insee="5603"), "members[1].insee"),
        (
            lambda c: c["members"][0]["sources"][0].update(url="ftp://example.fr"),
            "members[0].sources[0].url",
        ),
        (lambda c: c["members"][0].update(slug="auray,south"), "members[0].slug"),
        (
            lambda c: c["members"][0]["sources"][0].update(credentials_env="s3cr3t-value"),
            "members[0].sources[0].credentials_env",
        ),
        (lambda c: c["leads"][0].update(members=["auray", "lorient"]), "'lorient'"),
    ],
)
def test_broken_configuration_names_the_faulty_path(tmp_path, edit, expected):
    with pytest.raises(ConfigError) as error:
        load_committee(_broken(tmp_path, edit))
    assert any(expected in problem for problem in error.value.problems), error.value.problems


def test_tdh_check_exit_codes(tmp_path, capsys):
    assert main(["check", str(DEMO)]) == 0
    assert "ok (5 members" in capsys.readouterr().out
    broken = _broken(tmp_path, lambda c: c["members"][3].update(siren="123"))
    assert main(["check", str(broken)]) == 1
    err = capsys.readouterr().err
    assert "members[3].siren" in err and "Luhn" in err


def test_identifiers():
    assert is_siren("215600461") and not is_siren("215600462")
    assert is_siret("21560046100010") and not is_siret("21560046100011")
    assert is_siret("35600000000056") and not is_siret("35600000000057")  # La Poste: digit sum / 5
    assert is_insee_commune("2A004") and is_insee_commune("01001") and not is_insee_commune("2C004")


@pytest.mark.parametrize(
    ("kind", "header", "value"),
    [("ckan", "Authorization", "s3cr3t"), ("udata", "X-API-KEY", "s3cr3t"),
     ("opendatasoft", "Authorization", "Apikey s3cr3t")],
)
def test_credentials_come_from_the_named_variable_in_each_api_style(monkeypatch, kind, header, value):
    from catalog.committee import Source
    from pipelines.gathering import source_policy

    monkeypatch.setenv("MEMBER_PORTAL_KEY", "s3cr3t")
    source = Source(type=kind, url="https://data.example.fr", organization="ville", credentials_env="MEMBER_PORTAL_KEY")
    assert source_policy(source).headers == {header: value}
    assert source_policy(source).allow_private_hosts == frozenset()  # not allow-listed unless said


def test_luhn_complete_makes_sirens_the_committee_accepts():
    from catalog.identifiers import is_siren, luhn_complete

    assert luhn_complete("21560007") == "215600073"  # Auray's real SIREN
    assert all(is_siren(luhn_complete(f"2{n:07d}")) for n in range(50))


def test_a_private_source_is_allowed_its_own_origin_only():
    from catalog.committee import Source
    from connectors.http import FetchPolicy, UnsafeUrl, fetch
    from pipelines.gathering import source_policy

    source = Source(type="ckan", url="http://127.0.0.1:28700/auray", organization="ville", allow_private_network=True)
    policy = source_policy(source, FetchPolicy(retries=0, connect_timeout=1, deadline=3))
    assert policy.allow_private_origins == frozenset({"http://127.0.0.1:28700"})
    assert policy.allow_private_hosts == frozenset()
    # The same host on another port (a database, an admin console) is refused before connecting.
    with pytest.raises(UnsafeUrl, match="127.0.0.1 is a loopback address: refused"):
        fetch("http://127.0.0.1:25432/", policy)
    with pytest.raises(UnsafeUrl):
        fetch("https://127.0.0.1:28700/", policy)  # another scheme is another origin


def test_other_private_origins_are_named_one_by_one():
    from pydantic import ValidationError

    from catalog.committee import Source
    from pipelines.gathering import source_policy

    source = Source(type="ckan", url="http://10.0.0.5/", allow_private_network=True,
                    private_origins=("http://10.0.0.7:8080",))
    assert source_policy(source).allow_private_origins == {"http://10.0.0.5:80", "http://10.0.0.7:8080"}
    assert source_policy(source.model_copy(update={"allow_private_network": False})).allow_private_origins == set()
    with pytest.raises(ValidationError, match="an origin is scheme://host"):
        Source(type="ckan", url="http://10.0.0.5/", private_origins=("http://10.0.0.7/fichiers",))
