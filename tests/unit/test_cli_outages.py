"""A command that needs a service the stack does not answer on says which, not a traceback."""

import socket

from pipelines.cli import main


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_tdh_report_with_the_object_store_down_names_it(monkeypatch, capsys):
    endpoint = f"127.0.0.1:{closed_port()}"
    monkeypatch.setenv("HUB_S3_ENDPOINT", endpoint)
    monkeypatch.setenv("HUB_S3_ACCESS_KEY", "AKIAEXAMPLE")
    monkeypatch.setenv("HUB_S3_SECRET_KEY", "secret-never-shown")
    monkeypatch.setenv("HUB_S3_BUCKET", "hub")
    monkeypatch.delenv("HUB_COMMITTEE_FILE", raising=False)  # the demo's committee
    assert main(["report", "crach"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"tdh report: FAILED: S3 (http://{endpoint}, bucket hub) injoignable")
    assert "Traceback" not in err and "secret-never-shown" not in err
