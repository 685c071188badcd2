"""RDF answers that say their encoding.

ckanext-dcat serves `/catalog.ttl` and `/dataset/<name>.ttl` as `text/turtle` with no
charset; Turtle is UTF-8, but a client that decodes by the HTTP header (requests, hence
data.gouv.fr's harvester) falls back to ISO-8859-1 and publishes "TÃ©lÃ©dÃ©clarations".
This WSGI middleware adds `charset=utf-8` to the RDF and JSON-LD types that lack one."""

from __future__ import annotations

RDF_TYPES = {"text/turtle", "application/rdf+xml", "application/ld+json", "application/n-triples",
             "application/n-quads", "text/n3"}


def with_utf8_charset(app):
    def application(environ, start_response):
        def start(status, headers, exc_info=None):
            return start_response(status, [_declared(name, value) for name, value in headers], exc_info)

        return app(environ, start)

    return application


def _declared(name: str, value: str) -> tuple[str, str]:
    if name.lower() == "content-type" and "charset" not in value.lower():
        if value.split(";", 1)[0].strip().lower() in RDF_TYPES:
            return name, f"{value}; charset=utf-8"
    return name, value
