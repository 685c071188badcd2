"""A service that does not answer is named, with its address and never a password."""

import socket

import psycopg
import pytest
import requests
from ckanapi import RemoteCKAN
from minio import Minio

from catalog.catalogue_client import CatalogueClient
from connectors.objectstore import ObjectStore
from connectors.outages import ServiceUnavailable, is_outage, reaching, redact, redact_url


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_passwords_in_urls_are_redacted():
    assert redact_url("postgresql://hub:s3cret@127.0.0.1:25432/warehouse") == \
        "postgresql://hub:***@127.0.0.1:25432/warehouse"
    assert redact_url("http://127.0.0.1:25000") == "http://127.0.0.1:25000"
    text = redact("connection to postgresql+psycopg2://hub_dagster:p4ss@127.0.0.1:1/dagster failed")
    assert "p4ss" not in text and "hub_dagster:***@127.0.0.1:1" in text


def test_a_dead_ckan_is_named_with_its_url():
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(ServiceUnavailable) as caught:
        CatalogueClient(url, apikey="token-never-shown").action.status_show()
    assert str(caught.value) == f"CKAN ({url}) injoignable : connexion refusée"
    # ckanapi's own client lets requests' error through: that is what the hub replaces.
    with pytest.raises(requests.exceptions.ConnectionError):
        RemoteCKAN(url).action.status_show()


def test_a_dead_s3_store_is_named_with_its_endpoint_and_bucket():
    endpoint = f"127.0.0.1:{closed_port()}"
    store = ObjectStore(Minio(endpoint, access_key="AKIAEXAMPLE", secret_key="secret-never-shown", secure=False),
                        "hub", f"http://{endpoint}")
    store.client._http.connection_pool_kw["retries"] = None  # one attempt: the test need not wait on back-offs
    with pytest.raises(ServiceUnavailable) as caught:
        store.get_bytes("raw/x/manifest.json")
    message = str(caught.value)
    assert message.startswith(f"S3 (http://{endpoint}, bucket hub) injoignable")
    assert "secret-never-shown" not in message and "AKIAEXAMPLE" not in message
    with pytest.raises(ServiceUnavailable):
        list(store.list("raw/"))


def test_a_dead_postgresql_is_named_without_its_password():
    url = f"postgresql://hub:s3cret@127.0.0.1:{closed_port()}/warehouse"
    with pytest.raises(ServiceUnavailable) as caught, reaching("PostgreSQL (entrepôt)", redact_url(url)):
        psycopg.connect(url, connect_timeout=2)
    assert "s3cret" not in str(caught.value)
    assert str(caught.value).startswith("PostgreSQL (entrepôt) (postgresql://hub:***@127.0.0.1:")


def test_errors_of_the_statement_itself_are_left_alone():
    class SerializationFailure(psycopg.OperationalError):
        sqlstate = "40001"

    assert not is_outage(SerializationFailure("could not serialize access"))
    assert is_outage(psycopg.OperationalError("server closed the connection unexpectedly"))
    with pytest.raises(ValueError), reaching("CKAN", "http://x"):
        raise ValueError("a bug, not an outage")
