# placeholder: being written
superset_install() { :; }
superset_start() { :; }
superset_stop() { :; }
superset_status() { echo "superset  (not yet)"; }
