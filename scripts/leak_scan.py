#!/usr/bin/env python3
"""Leak scan: after a test run, search every file the tests left and the captured test output
for any secret the tests generated.

Tests append each secret they generate to the ledger file named by CLAPAY_LEAK_LEDGER (outside
the repository, deleted after the scan) and keep their temporary folders (databases, WAL files,
settings stores, logs) under TMPDIR while that variable is set. A secret counts as leaked if any
16 consecutive characters of its random part appear anywhere (95 bits: no accident).

usage: leak_scan.py LEDGER PATH...   (exit 1 if anything leaked or if the ledger is empty)
"""
import os
import re
import sys

FRAGMENT = 16
# clp_ + 43 random + 6 checksum characters; since environments, clp_test_ or clp_live_ first.
SECRET = re.compile(r"^clp_(?:(?:test|live)_)?([0-9A-Za-z]{43})[0-9A-Za-z]{6}$")
WEBHOOK_KEY = re.compile(r"^nowallet_(?:sk|uk)_([0-9A-Za-z+/]{43}=)$")
RUN = re.compile(rb"[0-9A-Za-z]{%d,}" % FRAGMENT)


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    ledger, roots = argv[1], argv[2:]
    secrets = set()
    if os.path.exists(ledger):
        with open(ledger, encoding="ascii", errors="replace") as handle:
            lines = [line.strip() for line in handle]
        secrets = {line for line in lines if SECRET.match(line)}
        keys = {line for line in lines if WEBHOOK_KEY.match(line)}
    else:
        keys = set()
    if not secrets:
        print("leak scan: the ledger holds no secret, so the scan would prove nothing", file=sys.stderr)
        return 1
    fragments = set()
    for secret in secrets:
        random_part = SECRET.match(secret).group(1).encode()
        fragments.update(random_part[i : i + FRAGMENT] for i in range(len(random_part) - FRAGMENT + 1))
    for key in keys:
        for run in RUN.finditer(WEBHOOK_KEY.match(key).group(1).encode()):
            text = run.group()
            fragments.update(text[i : i + FRAGMENT] for i in range(len(text) - FRAGMENT + 1))

    files = searched_bytes = 0
    leaks = []
    for root in roots:
        paths = [root] if os.path.isfile(root) else [
            os.path.join(folder, name) for folder, _, names in os.walk(root) for name in names
        ]
        for path in paths:
            if os.path.abspath(path) == os.path.abspath(ledger) or not os.path.isfile(path):
                continue
            with open(path, "rb") as handle:
                data = handle.read()
            files += 1
            searched_bytes += len(data)
            for run in RUN.finditer(data):
                text = run.group()
                if any(text[i : i + FRAGMENT] in fragments for i in range(len(text) - FRAGMENT + 1)):
                    # Name the file, never the secret.
                    leaks.append(path)
                    break
    print(
        f"leak scan: {len(secrets)} secrets and {len(keys)} webhook keys generated, {files} files searched "
        f"({searched_bytes / 1e6:.1f} MB: databases, WAL, settings, logs, test output), {len(leaks)} leaked"
    )
    for path in leaks:
        print(f"leak scan: a secret was found in {path}", file=sys.stderr)
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
