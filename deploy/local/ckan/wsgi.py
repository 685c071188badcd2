import os
from logging.config import fileConfig

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app
from ckanext.hub_dcat.charset import with_utf8_charset

fileConfig(os.environ["CKAN_INI"])
# RDF answers declare UTF-8 (deploy/local/ckan/ckanext-hub): harvesters decode by the header.
application = with_utf8_charset(make_app(CKANConfigLoader(os.environ["CKAN_INI"]).get_config()))
