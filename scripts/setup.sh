#!/usr/bin/env bash
# Installs what building, running and testing ClaPay Tokens needs on a Debian/Ubuntu machine, and
# nothing that is already there. Safe to run again. Needs root (or sudo) only when something is missing.
#   scripts/setup.sh          packages to build and run the app
#   scripts/setup.sh --test   also what the tests need (Xvfb, WebKitWebDriver, tauri-driver, xclip...)
set -euo pipefail

packages=(pkg-config build-essential libwebkit2gtk-4.1-dev libssl-dev)
if [[ "${1:-}" == "--test" ]]; then
  # xvfb/xauth: a display for the real window; webkit2gtk-driver: WebKitWebDriver behind tauri-driver;
  # xclip/x11-utils: read the clipboard and list windows from the end-to-end tests; dbus: the session
  # bus the single-instance plugin uses; imagemagick: screenshots; sqlite3: inspecting databases.
  packages+=(xvfb xauth webkit2gtk-driver xclip x11-utils dbus dbus-x11 imagemagick sqlite3)
  # Node runs the UI checks (make ui-check) and the UI bundler's tests; any recent version will do.
  command -v node >/dev/null || packages+=(nodejs)
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

if [[ "${1:-}" == "--test" ]] && ! command -v tauri-driver >/dev/null && [[ ! -x "$HOME/.cargo/bin/tauri-driver" ]]; then
  echo "setup: installing tauri-driver (about a minute)" >&2
  cargo install tauri-driver --locked --version '^2' --quiet
fi
