#!/usr/bin/env bash
# Crash harness, long pass: a child process writes through the core and is SIGKILLed at random
# moments; after each kill the database is reopened and checked (integrity_check, foreign_key_check,
# domain invariants, every acknowledged operation present). See RELIABILITY.md.
#   scripts/crash.sh            500 kill cycles
#   scripts/crash.sh 5000       as many as you like
#   CLAPAY_CRASH_SEED=123 scripts/crash.sh 500     replay the kill delays of a printed seed
set -euo pipefail
cd "$(dirname "$0")/.."
cycles="${1:-500}"
CLAPAY_CRASH_CYCLES="$cycles" exec cargo test --quiet -p clapay-tokens-core --release --test crash
