import os
from logging.config import fileConfig
from ckan.config.middleware import make_app
from ckan.cli import CKANConfigLoader
fileConfig(os.environ["CKAN_INI"])
application = make_app(CKANConfigLoader(os.environ["CKAN_INI"]).get_config())
