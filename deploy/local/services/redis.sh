# Redis (Debian package): CKAN's jobs queue and cache. No persistence needed.

REDIS_LOG="$LOG_DIR/redis.log"

redis_install() { command -v redis-server >/dev/null || apt_ensure redis-server; }

redis_start() {
  redis_ping && return 0
  log "starting redis on 127.0.0.1:$REDIS_PORT"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize yes --pidfile "$RUN_DIR/redis.pid" --logfile "$REDIS_LOG"
  local i; for i in $(seq 1 30); do redis_ping && { log "redis is healthy"; return 0; }; sleep 0.5; done
  fail_with_log redis "$REDIS_LOG"
}

redis_stop() {
  redis_ping || return 0
  log "stopping redis"
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}

redis_status() {
  if redis_ping; then echo "redis     up    127.0.0.1:$REDIS_PORT"; else echo "redis     DOWN"; return 1; fi
}

redis_ping() { redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
