# Solr 9.10.1 (Lucene 9) for CKAN's search: no Solr tarball or Debian package is reachable,
# so deploy/local/solr/pom.xml takes the real Solr from Maven Central (solr-test-framework,
# whose JettySolrRunner runs the real SolrDispatchFilter on Jetty, bound to 127.0.0.1) and a
# small launcher (hub.SolrLauncher) serves http://127.0.0.1:$SOLR_PORT/solr with one core per
# CKAN instance: `ckan` (the hub's catalogue, solr_url .../solr/ckan) and `ckan_member` (the
# member-portal CKAN, .../solr/ckan_member), both with the same CKAN schema and config.
# Built once with Maven (downloads go to Maven's own cache, ~/.m2); classes and runtime jars
# are kept in .stack/solr/build and rebuilt only when pom.xml or the launcher change.
# Solr home .stack/solr/home: solr.xml and each core's core.properties from
# deploy/local/solr/home, every core's conf/ from deploy/local/solr/home/ckan/conf plus CKAN's
# schema.xml from the CKAN venv, refreshed on each install; the indexes (<core>/data) are never
# touched here. A core added while Solr runs is created through the CoreAdmin API (no restart,
# so the other cores keep serving).

SOLR_SRC="$DEPLOY_DIR/solr"
SOLR_BUILD="$STACK_DIR/solr/build"
SOLR_HOME="$STACK_DIR/solr/home"
SOLR_LOG="$LOG_DIR/solr.log"
SOLR_BUILD_LOG="$LOG_DIR/solr-build.log"
SOLR_URL="http://127.0.0.1:$SOLR_PORT/solr"
SOLR_CKAN_SCHEMA="$STACK_DIR/venvs/ckan/lib/python3.11/site-packages/ckan/config/solr/schema.xml"
SOLR_CORES=(ckan ckan_member)
SOLR_CONF_FILES=(solrconfig.xml synonyms.txt protwords.txt)

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
# CKAN (its name, ckan-X.Y, is what CKAN checks). Data under <core>/data is left alone.
# A new core's core.properties is written only while Solr is stopped: a running Solr would
# refuse to create a core over it (solr_add_cores creates it, then writes the template).
solr_sync_home() {
  local core f running=0
  SOLR_CHANGED=0
  [ -d "$SOLR_HOME" ] || log "creating Solr home in $SOLR_HOME"
  mkdir -p "$SOLR_HOME"
  solr_running && running=1
  solr_sync_file "$SOLR_SRC/home/solr.xml" "$SOLR_HOME/solr.xml"
  # CKAN's schema with its `text` type analysed for French (deploy/local/solr/french_text.py).
  local schema="$SOLR_HOME/ckan-schema-fr.xml"
  python3 "$SOLR_SRC/french_text.py" <"$SOLR_CKAN_SCHEMA" >"$schema.tmp" || die "solr: cannot write the French schema"
  mv -f "$schema.tmp" "$schema"
  for core in "${SOLR_CORES[@]}"; do
    mkdir -p "$SOLR_HOME/$core/conf"
    for f in "${SOLR_CONF_FILES[@]}"; do
      solr_sync_file "$SOLR_SRC/home/ckan/conf/$f" "$SOLR_HOME/$core/conf/$f"
    done
    if [ -f "$SOLR_HOME/$core/conf/schema.xml" ] && ! cmp -s "$schema" "$SOLR_HOME/$core/conf/schema.xml"; then
      # The CKAN instance of this core rebuilds its index once it is up (ckan.sh).
      log "solr: the schema of $core changed; its index is rebuilt when its CKAN starts"
      touch "$SOLR_HOME/$core/conf/.reindex"
    fi
    solr_sync_file "$schema" "$SOLR_HOME/$core/conf/schema.xml"
    if [ -f "$SOLR_HOME/$core/core.properties" ] || [ $running = 0 ]; then
      solr_sync_file "$SOLR_SRC/home/$core/core.properties" "$SOLR_HOME/$core/core.properties"
    fi
  done
  if [ "$SOLR_CHANGED" = 1 ] && [ $running = 1 ]; then
    solr_reload_cores
  fi
}

# solr_reload_cores: a running Solr re-reads each core's conf/ (solrconfig.xml, schema.xml)
# on a CoreAdmin RELOAD; the index is kept and searches go on meanwhile.
solr_reload_cores() {
  local core
  for core in "${SOLR_CORES[@]}"; do
    solr_core_healthy "$core" || continue
    log "solr: configuration changed; reloading core $core"
    curl -fsS -o /dev/null --max-time 120 -G "$SOLR_URL/admin/cores" --data-urlencode action=RELOAD \
      --data-urlencode "core=$core" --data-urlencode wt=json || fail_with_log solr "$SOLR_LOG"
  done
}

# solr_sync_file SRC DEST: copy when different; overwriting a file sets SOLR_CHANGED=1.
solr_sync_file() {
  cmp -s "$1" "$2" && return 0
  [ -f "$2" ] && SOLR_CHANGED=1
  cp "$1" "$2"
}

solr_start() {
  if solr_running; then
    solr_add_cores
    return 0
  fi
  [ -f "$SOLR_BUILD/.source-hash" ] || die "solr is not built; run solr_install first"
  local core
  for core in "${SOLR_CORES[@]}"; do
    [ -f "$SOLR_HOME/$core/conf/schema.xml" ] && [ -f "$SOLR_HOME/$core/core.properties" ] \
      || die "solr home is not ready (core $core); run solr_install first"
  done
  if ! pid_alive solr; then
    start_daemon solr "$SOLR_LOG" java -Xms256m -Xmx1g -XX:+UseSerialGC \
      -Dfile.encoding=UTF-8 -Duser.timezone=UTC -Djava.awt.headless=true \
      -Dsolr.log.dir="$LOG_DIR" -Dsolr.install.dir="$STACK_DIR/solr" \
      -cp "$SOLR_BUILD/classes:$SOLR_BUILD/lib/*" hub.SolrLauncher "$SOLR_HOME" "$SOLR_PORT"
  fi
  for core in "${SOLR_CORES[@]}"; do
    wait_for_http "solr core $core" "$SOLR_URL/$core/admin/ping" "$SOLR_LOG" 120 solr
  done
  local lucene
  lucene=$(curl -fsS --max-time 5 "$SOLR_URL/admin/info/system?wt=json" \
    | sed -n 's/.*"lucene-spec-version" *: *"\([^"]*\)".*/\1/p' | head -n 1)
  case "$lucene" in
    9.*) log "solr runs Lucene $lucene" ;;
    *) log "solr reports Lucene '${lucene:-?}', expected 9.x"; fail_with_log solr "$SOLR_LOG" ;;
  esac
}

# solr_add_cores: create, in the running Solr, the cores its home gained since it started.
# CoreAdmin CREATE writes its own core.properties; the committed one replaces it afterwards
# so the next start reads the same file as a fresh home.
solr_add_cores() {
  local core answer
  for core in "${SOLR_CORES[@]}"; do
    solr_core_healthy "$core" && continue
    [ -f "$SOLR_HOME/$core/core.properties" ] \
      && die "solr runs without core $core although $SOLR_HOME/$core/core.properties exists; restart Solr (stack.sh down, then up)"
    log "solr: creating core $core in the running Solr"
    answer=$(curl -sS --max-time 120 -G "$SOLR_URL/admin/cores" --data-urlencode action=CREATE \
      --data-urlencode "name=$core" --data-urlencode "instanceDir=$core" --data-urlencode wt=json 2>&1) \
      && solr_core_healthy "$core" \
      || { log "solr: CoreAdmin CREATE $core failed: $answer"; fail_with_log solr "$SOLR_LOG"; }
    cp "$SOLR_SRC/home/$core/core.properties" "$SOLR_HOME/$core/core.properties"
  done
}

solr_stop() { stop_daemon solr; }

solr_status() {
  local core missing=()
  if ! solr_running; then echo "solr      DOWN"; return 1; fi
  for core in "${SOLR_CORES[@]}"; do solr_core_healthy "$core" || missing+=("$core"); done
  if [ ${#missing[@]} -gt 0 ]; then echo "solr      DOWN  (cores not serving: ${missing[*]})"; return 1; fi
  echo "solr      up    $SOLR_URL (cores ${SOLR_CORES[*]})"
}

# Solr answers (whatever its cores); a core answers its ping.
solr_running() { curl -fsS -o /dev/null --max-time 5 "$SOLR_URL/admin/info/system?wt=json" 2>/dev/null; }
solr_core_healthy() { curl -fsS -o /dev/null --max-time 5 "$SOLR_URL/$1/admin/ping" 2>/dev/null; }

solr_java_ok() {
  local v
  v=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  [ -n "$v" ] && [ "$v" -ge 17 ]
}
