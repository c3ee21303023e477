#!/usr/bin/env bash
# Runs the core's benchmarks (criterion, release build) and prints every figure of BENCHMARKS.md
# as a ratio to the baseline measured in the same run. The first run seeds a 100,000-token /
# 200,000-number database under target/bench-data/ (about 30 s); later runs reuse it.
#
#   scripts/bench.sh              # everything (about 5 minutes)
#   scripts/bench.sh authorize    # a criterion filter: only the matching benchmarks
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo bench -p clapay-tokens-core --bench registry -- "$@" 2>&1 \
    | grep -vE '^\s*$|Warming up|Collecting|Analyzing|^Found [0-9]+ outliers|outliers among|high (mild|severe)|low (mild|severe)|change:|Performance has|No change in|Change within'
python3 - "${CARGO_TARGET_DIR:-target}" <<'PY'
import json, os, sys
root = os.path.join(sys.argv[1], "criterion")

def median(group, name):
    path = os.path.join(root, group, name, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]  # nanoseconds
    except OSError:
        return None

def show(ns):
    if ns is None:
        return "-"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.0f} ns"

rows = []
floor = median("authorize", "floor_sha256_select")
for name in ["allowed_e164_phone", "allowed_no_phone", "allowed_national_phone", "denied_unknown", "denied_phone"]:
    value = median("authorize", name)
    # The bound is on the paired figures (below); criterion's are reported beside them.
    goal = "- (national form: libphonenumber)" if name == "allowed_national_phone" else "-"
    rows.append((f"authorize {name}", value, "floor (SHA-256 + cached SELECT)", floor, goal))
argon = median("argon2", "argon2id_prefix_lookup_verify")
allowed = median("authorize", "allowed_e164_phone")
if argon and allowed:
    rows.append(("argon2id check / our allowed check", argon, "authorize allowed_e164_phone", allowed, ">= 100x (inverse)"))
for name, goal in [("first_page", "<= 5 ms"), ("next_page_from_the_middle", "-"), ("last_page", "-"),
                   ("search_name_fragment", "<= 50 ms"), ("status_expired", "-"),
                   ("sort_expires_at", "-"), ("sort_last_used_at", "-"), ("sort_name", "-")]:
    rows.append((f"list {name}", median("list", name), "", None, goal))
bare = median("create", "bare_fsynced_insert")
create = median("create", "create_3_countries_5_numbers")
minimal = median("create", "minimal_token_3_5_rows")
random_floor = median("create", "minimal_random_numbers")
rows.append(("create 3 countries 5 numbers", create, "minimal, random numbers", random_floor, "<= 1.5x"))
rows.append(("create 3 countries 5 numbers", create, "bare fsync'd one-row insert", bare, "-"))
rows.append(("minimal, random numbers", random_floor, "bare fsync'd one-row insert", bare, "(any design)"))

print()
print(f"{'benchmark':42} {'median':>10} {'baseline':>10} {'ratio':>8}  goal")
for name, value, base_name, base, goal in rows:
    ratio = f"{value / base:.2f}x" if value and base else ""
    print(f"{name:42} {show(value):>10} {show(base):>10} {ratio:>8}  {goal}")
try:
    with open(os.path.join(root, "paired.txt")) as f:
        print()
        print("paired (subject and baseline timed in alternation, call by call; medians):")
        for line in f:
            name, subject, base_name, base = line.split()
            if base_name == "minimal_random_numbers":
                goal = "<= 1.5x"
            elif name.startswith("authorize"):
                goal = "<= 3x"
            else:
                goal = "-"
            print(f"{name:42} {show(float(subject)):>10} {show(float(base)):>10} {float(subject) / float(base):>7.2f}x  {goal} ({base_name})")
except OSError:
    pass
try:
    with open(os.path.join(root, "throughput.txt")) as f:
        print()
        for line in f:
            name, _, value = line.split()
            print(f"{name:42} {float(value):>10,.0f} checks/s")
except OSError:
    pass
PY
