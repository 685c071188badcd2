"""The shared catalogue's ckanapi client, saying so when CKAN does not answer.

ckanapi's RemoteCKAN lets requests' ConnectionError through, with a traceback that names
neither CKAN nor its address; every action goes through `call_action`, so that one method
reports a dead CKAN as `ServiceUnavailable("CKAN", url)` (connectors.outages).
"""

from __future__ import annotations

from ckanapi import RemoteCKAN

from connectors.outages import reaching, redact_url


class CatalogueClient(RemoteCKAN):
    def call_action(self, action, data_dict=None, context=None, apikey=None, files=None, requests_kwargs=None):
        with reaching("CKAN", redact_url(self.address)):
            return super().call_action(action, data_dict, context, apikey, files, requests_kwargs)
