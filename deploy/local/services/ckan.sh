# placeholder: being written
ckan_install() { :; }
ckan_start() { :; }
ckan_stop() { :; }
ckan_status() { echo "ckan  (not yet)"; }
ckan_install_venv() { :; }
