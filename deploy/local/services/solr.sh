# placeholder: being written
solr_install() { :; }
solr_start() { :; }
solr_stop() { :; }
solr_status() { echo "solr  (not yet)"; }
