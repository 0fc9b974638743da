#!/usr/bin/env bash
# Embedded-mode smoke test: the built app (dist/) with no DATABASE_URL/REDIS_URL on a fresh
# DATA_DIR prints a bootstrap key, serves health and an authenticated route with it, stops cleanly
# on SIGTERM, and prints no key on its second start. Run from the repository root after a build.
set -euo pipefail

fail() {
  echo "smoke: FAILED: $*" >&2
  if [[ -n "${LOG:-}" && -f "$LOG" ]]; then
    echo "--- last lines of the app log ($LOG) ---" >&2
    tail -n 40 "$LOG" >&2
  fi
  exit 1
}

[[ -f dist/src/main.js ]] || fail "dist/src/main.js is missing; run npm run build first"

WORK="$(mktemp -d)"
APP_PID=""
cleanup() {
  if [[ -n "$APP_PID" ]] && kill -0 "$APP_PID" 2>/dev/null; then kill -KILL "$APP_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
BASE="http://127.0.0.1:$PORT"

# Starts the app in the background with only the settings this test chooses; logs to $LOG.
start_app() {
  LOG="$WORK/app-$1.log"
  env -i PATH="$PATH" HOME="${HOME:-/tmp}" NODE_ENV=development LOG_PRETTY=false \
    PORT="$PORT" HOST=127.0.0.1 DATA_DIR="$WORK/data" \
    node dist/src/main.js >"$LOG" 2>&1 &
  APP_PID=$!
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null "$BASE/api/v1/health/live" 2>/dev/null; then return 0; fi
    kill -0 "$APP_PID" 2>/dev/null || fail "start $1: the app exited before answering"
    sleep 0.5
  done
  fail "start $1: $BASE/api/v1/health/live did not answer within 60 s"
}

# Sends SIGTERM and expects a clean exit within 20 s: code 0 once the server, database and Redis are
# closed, and no error in the log (a shutdown that overruns SHUTDOWN_TIMEOUT_MS exits 1).
stop_app() {
  kill -TERM "$APP_PID"
  local code=0
  for _ in $(seq 1 40); do
    kill -0 "$APP_PID" 2>/dev/null || break
    sleep 0.5
  done
  kill -0 "$APP_PID" 2>/dev/null && fail "stop $1: still running 20 s after SIGTERM"
  wait "$APP_PID" || code=$?
  APP_PID=""
  [[ "$code" == 0 ]] || fail "stop $1: exit code $code after SIGTERM (expected 0)"
  if grep -q '"level":[56]0' "$LOG"; then fail "stop $1: error lines in the log"; fi
  echo "smoke: start $1 stopped cleanly on SIGTERM"
}

expect_status() { # <expected> <description> <curl args...>
  local expected="$1" what="$2"
  shift 2
  local status
  status="$(curl -sS -o "$WORK/body" -w '%{http_code}' "$@")" || fail "$what: request failed"
  [[ "$status" == "$expected" ]] || fail "$what: HTTP $status (expected $expected): $(head -c 500 "$WORK/body")"
  echo "smoke: $what -> $status"
}

echo "smoke: first start on an empty DATA_DIR ($WORK/data), port $PORT"
start_app 1
KEY="$(grep -o 'AGENTRY_API_KEY=agt_[A-Za-z0-9_-]*' "$LOG" | head -n 1 | cut -d= -f2 || true)"
[[ -n "$KEY" ]] || fail "no AGENTRY_API_KEY=agt_... line in the first start's log"
echo "smoke: bootstrap key read from the log (${KEY:0:12}...)"

expect_status 200 "GET /api/v1/health" "$BASE/api/v1/health"
grep -q '"database":"healthy"' "$WORK/body" || fail "database is not healthy: $(cat "$WORK/body")"
expect_status 200 "GET /api/v1/api-keys with the bootstrap key" -H "X-API-Key: $KEY" "$BASE/api/v1/api-keys"
expect_status 401 "GET /api/v1/api-keys without a key" "$BASE/api/v1/api-keys"
expect_status 200 "GET /metrics" "$BASE/metrics"
if command -v promtool >/dev/null; then
  promtool check metrics <"$WORK/body" || fail "promtool check metrics refused /metrics"
  echo "smoke: promtool check metrics accepts /metrics"
fi
stop_app 1

echo "smoke: second start on the same DATA_DIR"
start_app 2
if grep -q 'AGENTRY_API_KEY=' "$LOG"; then fail "the second start printed a key again"; fi
echo "smoke: no key printed on the second start"
expect_status 200 "GET /api/v1/api-keys with the same key" -H "X-API-Key: $KEY" "$BASE/api/v1/api-keys"
stop_app 2

echo "smoke: OK"
