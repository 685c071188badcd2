# Solr 9.10.1 (Lucene 9) for CKAN's search: no Solr tarball or Debian package is reachable,
# so deploy/local/solr/pom.xml takes the real Solr from Maven Central (solr-test-framework,
# whose JettySolrRunner runs the real SolrDispatchFilter on Jetty, bound to 127.0.0.1) and a
# small launcher (hub.SolrLauncher) serves http://127.0.0.1:$SOLR_PORT/solr with one core,
# `ckan` (CKAN's solr_url = http://127.0.0.1:$SOLR_PORT/solr/ckan).
# Built once with Maven (downloads go to Maven's own cache, ~/.m2); classes and runtime jars
# are kept in .stack/solr/build and rebuilt only when pom.xml or the launcher change.
# Solr home .stack/solr/home: config from deploy/local/solr/home plus CKAN's schema.xml from
# the CKAN venv, refreshed on each install; the index (ckan/data) is never touched here.

SOLR_SRC="$DEPLOY_DIR/solr"
SOLR_BUILD="$STACK_DIR/solr/build"
SOLR_HOME="$STACK_DIR/solr/home"
SOLR_LOG="$LOG_DIR/solr.log"
SOLR_BUILD_LOG="$LOG_DIR/solr-build.log"
SOLR_URL="http://127.0.0.1:$SOLR_PORT/solr"
SOLR_CKAN_SCHEMA="$STACK_DIR/venvs/ckan/lib/python3.11/site-packages/ckan/config/solr/schema.xml"

solr_install() {
  [ -f "$SOLR_CKAN_SCHEMA" ] || die "CKAN's Solr schema is missing: $SOLR_CKAN_SCHEMA
  (it comes from the CKAN venv, installed by ckan_install_venv before Solr; run 'deploy/local/stack.sh up')"
  command -v javac >/dev/null && command -v mvn >/dev/null \
    || apt_ensure openjdk-17-jdk-headless maven
  solr_java_ok || die "solr needs Java 17 (java -version: $(java -version 2>&1 | head -n 1))"
  solr_build
  solr_sync_home
}

# Fingerprint of what the build depends on (paths relative to deploy/local/solr).
solr_source_hash() {
  (cd "$SOLR_SRC" && find pom.xml src -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-64
}

solr_build() {
  local hash t0=$SECONDS
  hash=$(solr_source_hash)
  if [ "$(cat "$SOLR_BUILD/.source-hash" 2>/dev/null)" = "$hash" ] \
    && [ -f "$SOLR_BUILD/classes/hub/SolrLauncher.class" ] && [ -d "$SOLR_BUILD/lib" ]; then
    return 0
  fi
  log "building Solr 9.10.1 launcher with Maven into $SOLR_BUILD (first time: ~120 MB of jars into ~/.m2, about 1 min)"
  rm -rf "$SOLR_BUILD"; mkdir -p "$SOLR_BUILD"
  # -Dsolr.build.dir keeps Maven's output out of the checkout.
  mvn -q -B -Dstyle.color=never -f "$SOLR_SRC/pom.xml" -Dsolr.build.dir="$SOLR_BUILD" package \
    >"$SOLR_BUILD_LOG" 2>&1 || fail_with_log "solr build" "$SOLR_BUILD_LOG"
  [ -f "$SOLR_BUILD/classes/hub/SolrLauncher.class" ] || fail_with_log "solr build" "$SOLR_BUILD_LOG"
  echo "$hash" >"$SOLR_BUILD/.source-hash"
  log "solr built in $((SECONDS - t0)) s ($(ls "$SOLR_BUILD/lib" | wc -l) jars)"
}

# Config files of the Solr home: the committed templates, and the schema of the installed
# CKAN (its name, ckan-X.Y, is what CKAN checks). Data under ckan/data is left alone.
solr_sync_home() {
  local f changed=0
  [ -d "$SOLR_HOME" ] || log "creating Solr home in $SOLR_HOME"
  mkdir -p "$SOLR_HOME/ckan/conf"
  for f in solr.xml ckan/core.properties ckan/conf/solrconfig.xml ckan/conf/synonyms.txt \
           ckan/conf/protwords.txt; do
    if ! cmp -s "$SOLR_SRC/home/$f" "$SOLR_HOME/$f"; then
      [ -f "$SOLR_HOME/$f" ] && changed=1
      cp "$SOLR_SRC/home/$f" "$SOLR_HOME/$f"
    fi
  done
  if ! cmp -s "$SOLR_CKAN_SCHEMA" "$SOLR_HOME/ckan/conf/schema.xml"; then
    if [ -f "$SOLR_HOME/ckan/conf/schema.xml" ]; then
      changed=1
      log "solr: CKAN's schema.xml changed; after the restart, rebuild the index (ckan search-index rebuild)"
    fi
    cp "$SOLR_CKAN_SCHEMA" "$SOLR_HOME/ckan/conf/schema.xml"
  fi
  if [ "$changed" = 1 ] && solr_healthy; then
    log "solr: configuration changed; it applies after a restart (stack.sh down, then up)"
  fi
}

solr_start() {
  solr_healthy && return 0
  [ -f "$SOLR_BUILD/.source-hash" ] || die "solr is not built; run solr_install first"
  [ -f "$SOLR_HOME/ckan/conf/schema.xml" ] || die "solr home is not ready; run solr_install first"
  if ! pid_alive solr; then
    start_daemon solr "$SOLR_LOG" java -Xms256m -Xmx1g -XX:+UseSerialGC \
      -Dfile.encoding=UTF-8 -Duser.timezone=UTC -Djava.awt.headless=true \
      -Dsolr.log.dir="$LOG_DIR" -Dsolr.install.dir="$STACK_DIR/solr" \
      -cp "$SOLR_BUILD/classes:$SOLR_BUILD/lib/*" hub.SolrLauncher "$SOLR_HOME" "$SOLR_PORT"
  fi
  wait_for_http solr "$SOLR_URL/ckan/admin/ping" "$SOLR_LOG" 120 solr
  local lucene
  lucene=$(curl -fsS --max-time 5 "$SOLR_URL/admin/info/system?wt=json" \
    | sed -n 's/.*"lucene-spec-version" *: *"\([^"]*\)".*/\1/p' | head -n 1)
  case "$lucene" in
    9.*) log "solr runs Lucene $lucene" ;;
    *) log "solr reports Lucene '${lucene:-?}', expected 9.x"; fail_with_log solr "$SOLR_LOG" ;;
  esac
}

solr_stop() { stop_daemon solr; }

solr_status() {
  if solr_healthy; then echo "solr      up    $SOLR_URL/ckan"; else echo "solr      DOWN"; return 1; fi
}

solr_healthy() { curl -fsS -o /dev/null --max-time 5 "$SOLR_URL/ckan/admin/ping" 2>/dev/null; }

solr_java_ok() {
  local v
  v=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  [ -n "$v" ] && [ "$v" -ge 17 ]
}
