#!/usr/bin/env bash
# Renders the app's icons (icons/*.png, icon.ico, icon.icns) from their one source, icons/icon.svg,
# with the pinned Tauri CLI's `icon` command (npm ci first). The outputs are committed: building or
# packaging never needs this script, only a change to the drawing does.
#
# Linux packages install every PNG at its size under /usr/share/icons/hicolor (tauri.conf.json
# lists them): the sizes are the hicolor theme's directories (16 to 512 px; the SVG itself goes to
# scalable/), so a desktop never scales a neighbouring size. Windows takes icon.ico, macOS icon.icns.
#
#   scripts/icons.sh
set -euo pipefail
cd "$(dirname "$0")/.."

tauri=node_modules/.bin/tauri
[[ -x "$tauri" ]] || { echo "icons.sh: $tauri is missing; run 'npm ci' first" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The default set gives icon.ico (16 to 256 px), icon.icns and icon.png (512 px); the store and
# mobile icons it also writes are not used.
# The CLI lists every file it writes on stderr: shown only when it fails.
"$tauri" icon icons/icon.svg --output "$work/default" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
cp "$work/default/icon.ico" "$work/default/icon.icns" "$work/default/icon.png" icons/

sizes=(16 22 24 32 36 48 64 72 96 128 192 256)
args=()
for size in "${sizes[@]}"; do args+=(--png "$size"); done
"$tauri" icon icons/icon.svg --output "$work/sizes" "${args[@]}" >"$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }
for size in "${sizes[@]}"; do
  cp "$work/sizes/${size}x${size}.png" "icons/${size}x${size}.png"
done
echo "icons.sh: icons/icon.png (512 px), ${#sizes[@]} sizes from 16 to 256 px, icon.ico and icon.icns written"
