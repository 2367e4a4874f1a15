#!/usr/bin/env bash
# `raqib serve --nats` throughput for docs/benchmarks.md ("Reading a NATS JetStream
# stream"): how fast a backlog of posts on a JetStream stream is read, scored, stored
# (embedded store) and acknowledged, beside what the transport alone costs (a consumer
# that only acknowledges) and the HTTP batch route on the same posts.
#
#   scripts/bench-nats.sh                  # POSTS=500000 by default
#
# Needs nats-server (Debian: apt-get install nats-server). 5% propaganda-style posts, the
# rest hard negatives and chatter (crates/server/examples/load.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v nats-server >/dev/null || { echo "install nats-server (apt-get install nats-server)" >&2; exit 1; }
cargo build --release -q -p raqib --bin raqib
cargo build --release -q -p raqib-server --example load
RAQIB=target/release/raqib
LOAD=target/release/examples/load
POSTS=${POSTS:-500000}
NPORT=${NPORT:-14322}
PORT=${PORT:-18490}
NATS=nats://127.0.0.1:$NPORT
TMP=$(mktemp -d)
NPID= ; PID=
trap 'kill $PID $NPID 2>/dev/null || true; rm -rf "$TMP"' EXIT

fresh_nats() {
  [ -n "$NPID" ] && kill $NPID && wait $NPID 2>/dev/null || true
  rm -rf "$TMP/js" && mkdir -p "$TMP/js"
  nats-server -js -a 127.0.0.1 -p $NPORT -sd "$TMP/js" > "$TMP/nats.log" 2>&1 &
  NPID=$!
  for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$NPORT) 2>/dev/null && break; sleep 0.1; done
}

serve() {
  [ -n "$PID" ] && kill $PID && wait $PID 2>/dev/null || true
  rm -rf "$TMP/d" && mkdir -p "$TMP/d"
  TOKEN=$($RAQIB token add bench --role ingest --data "$TMP/d" 2>/dev/null)
  $RAQIB serve --data "$TMP/d" --listen 127.0.0.1:$PORT --rate-limit 1000000 "$@" > "$TMP/serve.log" 2>&1 &
  PID=$!
}

rss() { echo "# peak server RSS: $(grep VmHWM /proc/$PID/status | awk '{print $2/1024 " MB"}')"; }

echo "# $(nproc) cores; nats-server $(nats-server --version | awk '{print $2}'); $POSTS posts, 5% propaganda-style"
for per in 1 100; do
  fresh_nats
  echo "## a backlog of $POSTS posts, $per a message"
  $LOAD nats-publish --nats $NATS --posts "$POSTS" --per-message $per --propaganda-share 0.05 --run n$per
  msgs=$(( (POSTS + per - 1) / per ))
  $LOAD nats-floor --nats $NATS --expect $msgs --batch 1000 --run f$per
  serve --nats $NATS --nats-batch 1000
  start=$(date +%s.%N)
  $LOAD nats-wait --nats $NATS --expect $msgs
  echo "raqib serve --nats: $POSTS posts in $(echo "$(date +%s.%N) - $start" | bc) s from the server's start"
  rss
  echo "# refused messages: $(grep -c refused "$TMP/serve.log" || true)"
done

echo "## the HTTP batch route on the same posts (1,000 a request, 2 connections)"
serve
for _ in $(seq 50); do curl -sf localhost:$PORT/health >/dev/null && break; sleep 0.1; done
$LOAD batch --url http://127.0.0.1:$PORT --token "$TOKEN" --posts "$POSTS" --batch 1000 --conns 2 --run h --propaganda-share 0.05
rss
