"""The WSGI middleware of the hub's CKAN that makes RDF answers say they are UTF-8
(deploy/local/ckan/ckanext-hub: ckanext-dcat sends `text/turtle` alone, and requests,
hence data.gouv.fr's harvester, then decodes French titles as ISO-8859-1)."""

import importlib.util

import requests

from tests.conftest import PROJECT_DIR

SOURCE = PROJECT_DIR / "deploy" / "local" / "ckan" / "ckanext-hub" / "ckanext" / "hub_dcat" / "charset.py"
spec = importlib.util.spec_from_file_location("hub_dcat_charset", SOURCE)
charset = importlib.util.module_from_spec(spec)
spec.loader.exec_module(charset)


def served(content_type: str) -> list[tuple[str, str]]:
    def app(environ, start_response):
        start_response("200 OK", [("Content-type", content_type), ("Content-Length", "4")])
        return [b"body"]

    seen = []
    charset.with_utf8_charset(app)({}, lambda status, headers, exc_info=None: seen.extend(headers))
    return seen


def test_rdf_answers_say_utf8_and_the_others_are_left_alone():
    assert ("Content-type", "text/turtle; charset=utf-8") in served("text/turtle")
    assert ("Content-type", "application/ld+json; charset=utf-8") in served("application/ld+json")
    assert ("Content-type", "text/turtle; charset=latin-1") in served("text/turtle; charset=latin-1")
    assert ("Content-type", "text/html") in served("text/html")
    assert ("Content-Length", "4") in served("text/turtle")


def decoded(content_type: str) -> str:
    """The text requests gives for UTF-8 bytes served with this type (as its adapter does)."""
    answer = requests.models.Response()
    answer._content = "Télédéclarations".encode()
    answer.encoding = requests.utils.get_encoding_from_headers({"content-type": content_type})
    return answer.text


def test_without_it_requests_reads_turtle_as_latin1():
    assert decoded("text/turtle") == "TÃ©lÃ©dÃ©clarations"
    assert decoded(dict(served("text/turtle"))["Content-type"]) == "Télédéclarations"
