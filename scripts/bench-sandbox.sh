#!/usr/bin/env bash
# The sandbox gateway's benchmark (BENCHMARKS.md, "Sandbox gateway"): requests per second and
# p50 / p99 latency of an allowed POST /init/payment on a 100,000-token registry, next to a bare
# axum handler answering a JSON body of the same size without any check, in the same run, on
# loopback, from the same load generator (32 keep-alive connections).
#
#   scripts/bench-sandbox.sh            # 30 s per server (about 2 minutes with the builds)
#   scripts/bench-sandbox.sh 10         # 10 s per server
#
# The first run seeds target/bench-sandbox/seed-<schema>.db (100,000 tokens; named after the
# migrations' text, so a schema change seeds again); every run works on a fresh copy of it, so
# the history the gateway writes does not pile up across runs.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
connections=32
target="${CARGO_TARGET_DIR:-target}"
data="$target/bench-sandbox"
mkdir -p "$data"
echo "machine: $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release --locked -q -p clapay-tokens-cli
cargo build --release --locked -q -p clapay-tokens-sandbox --example load --example bare
seed="$data/seed-$(cat src-tauri/core/migrations/*.sql | sha256sum | cut -c1-12).db"
if [[ ! -f "$seed" ]]; then
  echo "seeding $seed with 100,000 tokens (once per schema)"
  rm -f "$data"/seed.tmp.db*
  cargo run --release --locked -q -p clapay-tokens-core --example seed -- --db "$data/seed.tmp.db" --tokens 100000
  mv "$data/seed.tmp.db" "$seed"
fi
run="$(mktemp -d "$data/run.XXXXXX")"
gateway_pid="" bare_pid=""
cleanup() {
  [[ -n "$gateway_pid" ]] && kill -TERM "$gateway_pid" 2>/dev/null || true
  [[ -n "$bare_pid" ]] && kill -TERM "$bare_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$run"
}
trap cleanup EXIT
cp "$seed" "$run/tokens.db"
cli="$target/release/clapay-tokens-cli"
export CLAPAY_TOKENS_DB="$run/tokens.db"
# The secret goes to a file only this user can read, and is gone with the run's folder.
umask 077
"$cli" create --name "bench-sandbox" --environment sandbox --no-expiry \
  --allow CI:OM:MERCHANT --number CI:0707070707 >"$run/secret"

# Waits for "listening on http://ADDRESS" in a server's stderr file and prints ADDRESS.
address_of() {
  for _ in $(seq 100); do
    if line=$(grep -m1 '^listening on http://' "$1" 2>/dev/null); then
      echo "${line#listening on http://}"; return 0
    fi
    sleep 0.1
  done
  echo "no 'listening on' line in $1:" >&2; cat "$1" >&2; return 1
}

"$cli" sandbox --port 0 >/dev/null 2>"$run/gateway.err" & gateway_pid=$!
gateway=$(address_of "$run/gateway.err")
# The bare handler answers as many bytes as the gateway's allowed answer.
bytes=$(curl -s -o /dev/null -w '%{size_download}' -X POST "http://$gateway/init/payment" \
  -H "Authorization: Bearer $(cat "$run/secret")" -H 'Content-Type: application/json' \
  -d '{"transaction_id":"bench-1","amount":5000,"country_code":"CI","operators_code":["OM"],"method":"MERCHANT","tunnel":"API","additional_infos":{"customer_phone":"0707070707"},"return_url":null,"operator_otp":""}')
"$target/release/examples/bare" --bytes "$bytes" --port 0 2>"$run/bare.err" & bare_pid=$!
bare=$(address_of "$run/bare.err")

load="$target/release/examples/load"
echo "gateway http://$gateway, bare http://$bare; answers of $bytes bytes; $connections connections, ${seconds} s each"
# A short warm-up of each (page cache, connection pools), then the measured runs.
"$load" --address "$gateway" --secret-file "$run/secret" --connections "$connections" --seconds 3 --label warmup >/dev/null
"$load" --address "$bare" --connections "$connections" --seconds 3 --label warmup >/dev/null
# CPU time (user + system, in clock ticks) a server process has used so far: what a request
# costs it, whatever the load generator and the other server do on the same two vCPUs.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
g_cpu=$(cpu_ticks "$gateway_pid")
g=$("$load" --address "$gateway" --secret-file "$run/secret" --connections "$connections" --seconds "$seconds" --label gateway)
g_cpu=$(($(cpu_ticks "$gateway_pid") - g_cpu))
b_cpu=$(cpu_ticks "$bare_pid")
b=$("$load" --address "$bare" --connections "$connections" --seconds "$seconds" --label bare)
b_cpu=$(($(cpu_ticks "$bare_pid") - b_cpu))
echo "$g"
echo "$b"
kill -TERM "$gateway_pid"; wait "$gateway_pid"; gateway_pid=""
kill -TERM "$bare_pid"; wait "$bare_pid" || true; bare_pid=""
used=$(python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("SELECT count(*) FROM history h JOIN tokens t ON t.id = h.token_id WHERE t.name = ? AND h.kind = ?", ("bench-sandbox","used")).fetchone()[0])' "$run/tokens.db")
python3 - "$g" "$b" "$used" "$g_cpu" "$b_cpu" "$(getconf CLK_TCK)" <<'PY'
import sys
def parse(line):
    label, *pairs = line.split()
    return label, {k: float(v) for k, v in (p.split("=") for p in pairs)}
_, g = parse(sys.argv[1]); _, b = parse(sys.argv[2])
ratio = g["rps"] / b["rps"]
print()
print(f"{'':10} {'requests/s':>11} {'p50':>9} {'p99':>9} {'CPU/request':>12}")
ticks_per_second = float(sys.argv[6])
for name, r, ticks in (("gateway", g, sys.argv[4]), ("bare", b, sys.argv[5])):
    cpu_us = float(ticks) / ticks_per_second * 1e6 / r["requests"]
    print(f"{name:10} {r['rps']:>11.0f} {r['p50_us']/1000:>7.2f}ms {r['p99_us']/1000:>7.2f}ms {cpu_us:>10.1f}us")
print(f"ratio gateway / bare: {ratio:.2f}x (goal >= 0.5x); gateway p99 {g['p99_us']/1000:.2f} ms (goal <= 5 ms)")
print(f"checks on disk after the stop: {sys.argv[3]} used events (warm-up, sample and measured requests)")
if g["non_200"] or b["non_200"]:
    print("some answers were not 200: see above", file=sys.stderr); sys.exit(1)
PY
