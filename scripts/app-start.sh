#!/usr/bin/env bash
# App start time and memory against a bare Tauri window (examples/bare: same Tauri, window size and
# release profile), on a 10,000-token database. See BENCHMARKS.md, "Start and memory".
#
#   scripts/app-start.sh [RUNS]     (default 5 runs; needs Xvfb unless DISPLAY is set, and dbus-daemon)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"

# Both binaries in one cargo call: one feature resolution, the same [profile.release].
cargo build --release --locked -p clapay-tokens -p clapay-tokens-bare --bin clapay-tokens --bin clapay-tokens-bare

# One database per schema (a checksum of the migrations' text): a database seeded by another build
# would be migrated, or refused, by the first measured start.
schema=$(cat src-tauri/core/migrations/*.sql | cksum | cut -d' ' -f1)
db=target/bench-data/app-start-10000-$schema.db
if [[ ! -f "$db" ]]; then
  mkdir -p target/bench-data
  cargo run --release -p clapay-tokens-core --example seed -- --db "$db.tmp" --tokens 10000
  mv "$db.tmp" "$db"
  rm -f "$db.tmp-wal" "$db.tmp-shm"
fi

measure=(python3 scripts/app_start.py target/release/clapay-tokens target/release/clapay-tokens-bare "$PWD/$db" "$runs")
if [[ -n "${DISPLAY:-}" ]]; then
  "${measure[@]}"
else
  # One X server for every run.
  xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" "${measure[@]}"
fi
