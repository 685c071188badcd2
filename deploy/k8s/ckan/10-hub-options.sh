#!/bin/bash
# Run (sourced) by the CKAN image's start script from /docker-entrypoint.d, after prerun.py:
# the settings every hub CKAN shares (French locale, DCAT-AP, authorisation rules, upload
# size) into ckan.ini, then the keys every pod must share. The image's start script writes a
# random SECRET_KEY and CSRF key per pod, which would refuse a form posted to another pod;
# those upper-case keys cannot come through ckanext-envvars, so they are written here, from
# the Secret tdh-ckan, on stdin (no key on a command line). The plugin list stays the
# environment's CKAN__PLUGINS, which ends with `envvars`: without it the CKAN___* settings
# of the environment would not be read.
ckan config-tool "$CKAN_INI" -f /srv/app/hub/hub-options.ini >/dev/null
printf '[app:main]\nSECRET_KEY = %s\nWTF_CSRF_SECRET_KEY = %s\nckan.plugins = %s\n' \
  "$CKAN_SECRET_KEY" "$CKAN_CSRF_SECRET_KEY" "$CKAN__PLUGINS" \
  | ckan config-tool "$CKAN_INI" -f /dev/stdin >/dev/null
