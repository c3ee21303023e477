#!/usr/bin/env bash
# Renders the country flags the UI shows (ui/flags/<iso>.png) from their sources (icons/flags/<iso>.svg).
#
# Why pictures and not the SVGs: WebKit draws an SVG <img> through a document of its own, and the
# list's first screen shows many flags: as SVGs they made the app's first frame measurably later,
# as PNGs they do not (`git log -p BENCHMARKS.md` has the figures of the change). 60x40 is three
# times the 20x14 px the UI draws them at (object-fit: cover), sharp on screens up to 3x.
#
#   scripts/flags.sh        (needs rsvg-convert: apt-get install librsvg2-bin)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v rsvg-convert >/dev/null || { echo "flags.sh needs rsvg-convert (apt-get install librsvg2-bin)" >&2; exit 1; }
mkdir -p ui/flags
rm -f ui/flags/*.png
for source in icons/flags/*.svg; do
  iso=$(basename "$source" .svg)
  rsvg-convert --width 60 --height 40 "$source" --output "ui/flags/$iso.png"
done
echo "flags.sh: $(ls ui/flags/*.png | wc -l) flags written to ui/flags"
