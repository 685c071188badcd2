#!/bin/bash
# Run by the CKAN image's start script (/docker-entrypoint.d): the settings every hub CKAN
# shares (plugins, French locale, DCAT-AP, authorisation rules) into the generated ckan.ini.
ckan config-tool "$CKAN_INI" -f /srv/app/hub/hub-options.ini >/dev/null
