#!/usr/bin/env bash
# Service benchmarks for docs/benchmarks.md ("Service"): batch submission throughput and
# single-post latency at a fixed rate, with the embedded store, on this machine.
#
#   scripts/bench-serve.sh                 # embedded store in a temporary folder
#   STORE=postgres://u:p@host/db scripts/bench-serve.sh
#
# Uses the project's load generator (crates/server/examples/load.rs: fresh ids, open loop,
# latency from the due time) and, where installed, oha (`cargo install oha`) and wrk
# (Debian) as peers.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p raqib --bin raqib
cargo build --release -q -p raqib-server --example load
RAQIB=target/release/raqib
LOAD=target/release/examples/load
DATA=$(mktemp -d)
PID=
trap 'kill $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
STORE_ARGS=()
[ -n "${STORE:-}" ] && STORE_ARGS=(--store "$STORE")
PORT=${PORT:-18480}

# A server on a fresh store for each measurement (a store that already holds millions of
# items is slower to add to; the first figure is the fair one for each mix).
start() {
  [ -n "$PID" ] && kill $PID && wait $PID 2>/dev/null || true
  rm -rf "$DATA/d" && mkdir -p "$DATA/d"
  if [ -n "${STORE:-}" ]; then
    psql "$STORE" -qc 'DROP TABLE IF EXISTS raqib_items, raqib_audit, raqib_deliveries, raqib_tokens, raqib_schema; DROP SEQUENCE IF EXISTS raqib_item_seq' 2>/dev/null
  fi
  TOKEN=$($RAQIB token add bench --role ingest --data "$DATA/d" "${STORE_ARGS[@]}" 2>/dev/null)
  $RAQIB serve --data "$DATA/d" "${STORE_ARGS[@]}" --listen 127.0.0.1:$PORT --rate-limit 1000000 "$@" > "$DATA/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 50); do curl -sf localhost:$PORT/health >/dev/null && break; sleep 0.1; done
}

start
echo "# $(nproc) cores; store: $(curl -s localhost:$PORT/health | python3 -c 'import json,sys; print(json.load(sys.stdin)["store"])')"
POSTS=${POSTS:-1000000}
echo "# corpus mix (45% propaganda-style, as measured before the corpus gained everyday posts: each flagged post is explained, queued and audited)"
$LOAD batch --url http://127.0.0.1:$PORT --token "$TOKEN" --posts "$POSTS" --batch 1000 --conns 2 --run b1 --propaganda-share 0.45
echo "# peak server RSS: $(grep VmHWM /proc/$PID/status | awk '{print $2/1024 " MB"}')"
start
echo "# 5% propaganda-style, the rest hard negatives and chatter"
$LOAD batch --url http://127.0.0.1:$PORT --token "$TOKEN" --posts "$POSTS" --batch 1000 --conns 2 --run b2 --propaganda-share 0.05
echo "# peak server RSS: $(grep VmHWM /proc/$PID/status | awk '{print $2/1024 " MB"}')"
start --network-accounts 0
echo "# 5% mix, network signal off (--network-accounts 0)"
$LOAD batch --url http://127.0.0.1:$PORT --token "$TOKEN" --posts "$POSTS" --batch 1000 --conns 2 --run b3 --propaganda-share 0.05
echo "# peak server RSS: $(grep VmHWM /proc/$PID/status | awk '{print $2/1024 " MB"}')"

start
$LOAD single --url http://127.0.0.1:$PORT --token "$TOKEN" --rate 2000 --seconds "${SECONDS_SINGLE:-30}" --conns 16 --run s1 --propaganda-share 0.45
$LOAD single --url http://127.0.0.1:$PORT --token "$TOKEN" --rate 2000 --seconds "${SECONDS_SINGLE:-30}" --conns 16 --run s2 --propaganda-share 0.05

if command -v oha >/dev/null; then
  echo "# oha at 2,000/s with latency correction (one fixed body: after the first, duplicates answered from the store)"
  oha -q 2000 -z 20s -c 16 --latency-correction --no-tui -m POST \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"id":"oha-1","platform":"bench","text":"the soldiers of the caliphate"}' \
    http://127.0.0.1:$PORT/api/v1/posts | grep -E 'Requests/sec|Slowest|Fastest|Average|50.00%|90.00%|99.00%|99.90%|\[20[01]\]|Error' || true
fi
if command -v wrk >/dev/null; then
  echo "# wrk, closed loop (as fast as it goes), fresh ids per request"
  cat > "$DATA/post.lua" <<EOF
counter = 0
request = function()
  counter = counter + 1
  local body = '{"id":"wrk-' .. counter .. '-' .. math.random(1e9) .. '","platform":"bench","text":"the soldiers of the caliphate remain"}'
  return wrk.format("POST", "/api/v1/posts", {["Authorization"] = "Bearer $TOKEN", ["Content-Type"] = "application/json"}, body)
end
EOF
  wrk -t 2 -c 16 -d 15s --latency -s "$DATA/post.lua" http://127.0.0.1:$PORT/ | grep -E 'Requests/sec|50%|90%|99%|Non-2xx|Socket' || true
fi
curl -s localhost:$PORT/metrics | grep -E '^raqib_(items_stored_total|http_server_errors_total)'
