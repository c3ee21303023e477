#!/usr/bin/env bash
# Long fuzzing pass (proptest) of the token parser, phone normalisation and catalog loading:
# no panic, and the invariants of tests/fuzz.rs on every accepted input. See RELIABILITY.md.
#   scripts/fuzz.sh              1,000,000 cases per property (a few minutes, release build)
#   scripts/fuzz.sh 100000       another count
# A failure is shrunk to a minimal input and saved in src-tauri/core/tests/fuzz.proptest-regressions,
# which later runs replay first.
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${1:-1000000}"
start=$(date +%s)
PROPTEST_CASES="$cases" cargo test --quiet -p clapay-tokens-core --release --test fuzz -- --nocapture
echo "fuzz: $cases cases per property, 7 properties, $(( $(date +%s) - start )) s"
