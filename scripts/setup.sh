#!/usr/bin/env bash
# Installs what building, running and testing ClaPay Tokens needs on a Debian/Ubuntu machine, and
# nothing that is already there. Safe to run again. Needs root (or sudo) only when something is missing.
#   scripts/setup.sh            packages to build and run the app
#   scripts/setup.sh --test     also what the tests need (Xvfb, WebKitWebDriver, tauri-driver, xclip,
#                               the Windows target of the lint, rpm...)
#   scripts/setup.sh --package  also what `make package` needs (npm, for the pinned Tauri CLI)
set -euo pipefail

mode=${1:-}
case "$mode" in
  "" | --test | --package) ;;
  *) echo "setup: unknown option '$mode' (expected nothing, --test or --package)" >&2; exit 2 ;;
esac

# The exact tauri-driver the end-to-end tests run against (a newer one may speak differently to
# WebKitWebDriver). Change it here only.
TAURI_DRIVER_VERSION=2.1.0
# The Windows target the lint checks the workspace for (`make lint-windows`). The GNU one, because
# its C compiler (mingw-w64, for the C of ring and SQLite) is a Debian package; MSVC's is not.
WINDOWS_TARGET=x86_64-pc-windows-gnu

packages=(pkg-config build-essential libwebkit2gtk-4.1-dev libssl-dev)
if [[ "$mode" == --test ]]; then
  # xvfb/xauth: a display for the real window; webkit2gtk-driver: WebKitWebDriver behind tauri-driver;
  # xclip/x11-utils: read the clipboard and list windows from the end-to-end tests; dbus: the session
  # bus the single-instance plugin uses; imagemagick: screenshots; sqlite3: inspecting databases;
  # gcc-mingw-w64-x86-64: the C compiler of the Windows lint; rpm, desktop-file-utils: the package
  # test reads the .rpm and validates the .desktop entry.
  packages+=(xvfb xauth webkit2gtk-driver xclip x11-utils dbus dbus-x11 imagemagick sqlite3
    gcc-mingw-w64-x86-64 rpm desktop-file-utils)
  # Node runs the UI checks (make ui-check) and builds the packages (the Tauri CLI); any recent version will do.
  command -v node >/dev/null || packages+=(nodejs)
fi
if [[ "$mode" == --package ]]; then
  # npm installs the Tauri CLI pinned in package-lock.json. Debian's nodejs comes without npm;
  # other Node builds (NodeSource's) carry their own, which is then used as it is.
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  echo "setup: cargo is missing; install Rust from https://rustup.rs and run this again" >&2
  exit 1
fi

if [[ "$mode" == --test ]]; then
  # The Windows lint is a gate: without its target `make test` must stop and say why, not skip it.
  if ! rustup target list --installed 2>/dev/null | grep -qx "$WINDOWS_TARGET"; then
    if ! command -v rustup >/dev/null; then
      echo "setup: the Windows lint needs Rust's standard library for $WINDOWS_TARGET, which comes" \
        "from rustup, and this Rust was not installed with rustup. Install Rust from" \
        "https://rustup.rs and run this again" >&2
      exit 1
    fi
    echo "setup: adding the Rust target $WINDOWS_TARGET (the Windows lint)" >&2
    if ! rustup target add "$WINDOWS_TARGET"; then
      echo "setup: could not install the Rust target $WINDOWS_TARGET (rustup's error is above);" \
        "make test lints the workspace for Windows and cannot without it. Once rustup can reach" \
        "its download server, run 'rustup target add $WINDOWS_TARGET' and make test again" >&2
      exit 1
    fi
  fi

  # `cargo install --list` names what is installed, so an installed driver costs no registry look-up.
  if ! cargo install --list | grep -qx "tauri-driver v$TAURI_DRIVER_VERSION:"; then
    echo "setup: installing tauri-driver $TAURI_DRIVER_VERSION (about a minute)" >&2
    cargo install tauri-driver --locked --version "=$TAURI_DRIVER_VERSION" --quiet
  fi
fi
