# The members' portals stand-in (demo/member_portals.py): plays the internet for the demo.

PORTALS_LOG="$LOG_DIR/portals.log"

portals_install() { :; }

portals_start() {
  portals_ping && return 0
  start_daemon portals "$PORTALS_LOG" python3 "$PROJECT_DIR/demo/member_portals.py" "$PORTALS_PORT"
  wait_for_http portals "http://127.0.0.1:$PORTALS_PORT/auray/api/3/action/package_search" "$PORTALS_LOG" 20 portals
}

portals_stop() { stop_daemon portals; }

portals_status() {
  if portals_ping; then echo "portals   up    http://127.0.0.1:$PORTALS_PORT"; else echo "portals   DOWN"; return 1; fi
}

portals_ping() { curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$PORTALS_PORT/auray/api/3/action/package_search"; }
