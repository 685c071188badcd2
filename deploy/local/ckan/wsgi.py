import os
from logging.config import fileConfig

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

fileConfig(os.environ["CKAN_INI"])
application = make_app(CKANConfigLoader(os.environ["CKAN_INI"]).get_config())
