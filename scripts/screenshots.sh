#!/usr/bin/env bash
# Regenerates docs/screenshots/: starts the app under Xvfb on a temp database seeded with a few
# realistic tokens, walks every screen in light and dark through WebDriver, and writes one PNG per
# screen and theme (src-tauri/app/tests/screenshots/main.rs).
#
# Needs what the end-to-end tests need: xvfb-run, tauri-driver (~/.cargo/bin or PATH),
# WebKitWebDriver (webkit2gtk-driver) and dbus-daemon.
#
# Usage: scripts/screenshots.sh [output dir, default docs/screenshots]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/screenshots}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -f "$out"/*.png
# WebDriver's screenshot command fails when WebKit paints without compositing, which the app
# chooses on a machine without a GPU (src-tauri/app/src/main.rs); keep the compositing path for
# this run only (the app leaves a value the user set alone).
SCREENSHOTS_DIR="$out" WEBKIT_DISABLE_COMPOSITING_MODE=0 xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
  cargo test --workspace --test screenshots
ls -1 "$out"
