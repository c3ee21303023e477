#!/usr/bin/env bash
# Install test of the Linux packages `make package` builds (target/packages): installs the .deb on
# this machine the way a merchant does (dpkg -i, then apt-get -f install for its dependencies),
# checks what landed, uses the installed CLI and app from /usr/bin, removes the package and checks
# the merchant's data folder is left as it was; then reads the .rpm's metadata and file list.
#
#   scripts/package-test.sh [PACKAGES_DIR]      (default target/packages; root or sudo)
#
# It refuses to run where clapay-tokens is already installed: it would replace that copy and then
# remove it. Nothing of a real merchant's is touched: the test's data lives in a temporary HOME.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=${1:-target/packages}
fail() { echo "package-test: $*" >&2; exit 1; }
step() { echo "package-test: $*"; }

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || fail "installs a package: run it as root or install sudo"
  sudo="sudo"
fi

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)
[[ -n "$version" ]] || fail "cannot read the workspace version from Cargo.toml"

shopt -s nullglob
debs=("$packages"/clapay-tokens_"$version"_*.deb)
rpms=("$packages"/clapay-tokens-"$version"-*.rpm)
shopt -u nullglob
((${#debs[@]} == 1)) || fail "expected one clapay-tokens_${version}_*.deb in $packages, found ${#debs[@]}: run make package"
((${#rpms[@]} == 1)) || fail "expected one clapay-tokens-${version}-*.rpm in $packages, found ${#rpms[@]}: run make package"
deb=${debs[0]}
rpm_file=${rpms[0]}

step "checksums ($packages/SHA256SUMS)"
(cd "$packages" && sha256sum --check --strict --quiet SHA256SUMS) || fail "SHA256SUMS does not match the packages"

if dpkg-query -W -f='${Status}' clapay-tokens 2>/dev/null | grep -q "install ok installed"; then
  fail "clapay-tokens is already installed here; this test would replace and then remove it." \
    "Remove it first (dpkg -r clapay-tokens: your tokens stay in ~/.local/share/app.clapay.tokens) or run the test on another machine"
fi

work=$(mktemp -d)
installed=0
cleanup() {
  if ((installed)); then $sudo dpkg -r clapay-tokens >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step "installing $(basename "$deb")"
# dpkg leaves the package unconfigured when a dependency is missing; apt-get -f install brings the
# dependencies in and finishes it, as the documentation tells merchants.
installed=1
if ! $sudo dpkg -i "$deb" >"$work/dpkg.log" 2>&1; then
  step "dpkg -i needs dependencies: apt-get -f install"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get -f install -y -qq >>"$work/dpkg.log" 2>&1 ||
    { cat "$work/dpkg.log" >&2; fail "the package's dependencies could not be installed"; }
fi
[[ $(dpkg-query -W -f='${Status} ${Version}' clapay-tokens) == "install ok installed $version" ]] ||
  { cat "$work/dpkg.log" >&2; fail "clapay-tokens $version is not installed after dpkg -i and apt-get -f install"; }

step "files"
expected=(/usr/bin/clapay-tokens /usr/bin/clapay-tokens-cli /usr/share/applications/clapay-tokens.desktop
  /usr/share/icons/hicolor/scalable/apps/clapay-tokens.svg
  /usr/share/doc/clapay-tokens/copyright /usr/share/doc/clapay-tokens/OFL.txt)
for size in 16 22 24 32 36 48 64 72 96 128 192 256 512; do
  expected+=("/usr/share/icons/hicolor/${size}x${size}/apps/clapay-tokens.png")
done
listed=$(dpkg -L clapay-tokens)
for file in "${expected[@]}"; do
  [[ -f "$file" ]] || fail "$file is missing after the install"
  grep -qx -- "$file" <<<"$listed" || fail "$file is not one of the package's files (dpkg -L)"
done
for binary in /usr/bin/clapay-tokens /usr/bin/clapay-tokens-cli; do
  [[ -x "$binary" ]] || fail "$binary is not executable"
done
for size in 16 22 24 32 36 48 64 72 96 128 192 256 512; do
  python3 - "/usr/share/icons/hicolor/${size}x${size}/apps/clapay-tokens.png" "$size" <<'EOF' ||
import struct, sys
with open(sys.argv[1], "rb") as png:
    header = png.read(24)
width, height = struct.unpack(">II", header[16:24])
sys.exit(0 if header[:8] == b"\x89PNG\r\n\x1a\n" and width == height == int(sys.argv[2]) else 1)
EOF
    fail "the ${size}x${size} icon is not a ${size} px PNG"
done
desktop=/usr/share/applications/clapay-tokens.desktop
for line in "Name=ClaPay Tokens" "Exec=clapay-tokens" "Icon=clapay-tokens" "Categories=Office;Finance;" "Type=Application"; do
  grep -qx -- "$line" "$desktop" || fail "$desktop has no line '$line'"
done
# Debian's policy: the license of every package in /usr/share/doc/PACKAGE/copyright.
for line in "License: Proprietary" "License: OFL-1.1"; do
  grep -qx -- "$line" /usr/share/doc/clapay-tokens/copyright || fail "the copyright file has no line '$line'"
done
if command -v desktop-file-validate >/dev/null; then
  desktop-file-validate "$desktop" || fail "$desktop does not pass desktop-file-validate"
fi

step "dependencies: every library the binaries link is declared"
# dpkg-shlibdeps names the Debian packages of the libraries the installed binaries link (it wants
# a debian/control beside it); each must be in the package's Depends.
mkdir -p "$work/shlibdeps/debian"
printf 'Source: clapay-tokens\n\nPackage: clapay-tokens\nArchitecture: any\n' >"$work/shlibdeps/debian/control"
needed=$(cd "$work/shlibdeps" && dpkg-shlibdeps -O /usr/bin/clapay-tokens /usr/bin/clapay-tokens-cli 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p' | tr ',' '\n' | sed 's/^ *//; s/ .*//' | sort -u)
[[ -n "$needed" ]] || fail "dpkg-shlibdeps found no dependency of the installed binaries"
depends=$(dpkg-query -W -f='${Depends}' clapay-tokens | tr ',' '\n' | sed 's/^ *//; s/ .*//' | sort -u)
for package in $needed; do
  grep -qx -- "$package" <<<"$depends" || fail "the binaries need $package (dpkg-shlibdeps) but the package does not depend on it (tauri.conf.json, bundle.linux.deb.depends)"
done
# The same libraries by soname, for the .rpm below (libm and the loader come with libc).
sonames=$(readelf -d /usr/bin/clapay-tokens /usr/bin/clapay-tokens-cli | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
  grep -vE '^(libm\.so\.6|ld-linux-x86-64\.so\.2)$' | sort -u)

step "the CLI from /usr/bin"
[[ $(/usr/bin/clapay-tokens-cli --version) == "clapay-tokens-cli $version" ]] ||
  fail "clapay-tokens-cli --version does not say $version: $(/usr/bin/clapay-tokens-cli --version)"
# The merchant's home for this test: the CLI's default database lives in its data folder. Cargo,
# below, keeps the real one (its toolchains and tauri-driver are there).
real_home=$HOME
export HOME="$work/home"
unset XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME
mkdir -p "$HOME"
data="$HOME/.local/share/app.clapay.tokens"
(
  export CLAPAY_TOKENS_DB="$work/round-trip/tokens.db"
  mkdir -p "$work/round-trip"
  # The secret is kept in a variable and given on stdin, never printed nor put on a command line.
  secret=$(/usr/bin/clapay-tokens-cli create --name package-test --expires-in-days 7 --allow CI:OM:MERCHANT 2>>"$work/cli.log") ||
    { cat "$work/cli.log" >&2; fail "clapay-tokens-cli create failed"; }
  [[ "$secret" == clp_* ]] || fail "create did not print a clp_ secret"
  printf '%s\n' "$secret" | /usr/bin/clapay-tokens-cli authorize --country CI --operator OM --method MERCHANT >/dev/null 2>>"$work/cli.log" ||
    { cat "$work/cli.log" >&2; fail "authorize refused a payment the new token allows"; }
  status=0
  printf '%s\n' "$secret" | /usr/bin/clapay-tokens-cli authorize --country CI --operator OM --method CASHIN >/dev/null 2>>"$work/cli.log" || status=$?
  ((status == 3)) || { cat "$work/cli.log" >&2; fail "authorize of a method outside the token exited $status, not 3 (denied)"; }
  if grep -rqF -- "$secret" "$work/round-trip"; then fail "the secret is written in the database folder"; fi
)
# The merchant's own data, in the default folder, that removing the package must leave alone.
/usr/bin/clapay-tokens-cli create --name kept-after-removal --allow SN:WAVE:MERCHANT >/dev/null 2>>"$work/cli.log" ||
  { cat "$work/cli.log" >&2; fail "create in the default data folder failed"; }
[[ -f "$data/tokens.db" ]] || fail "the CLI did not create its database in $data"

step "the installed app under Xvfb, through WebDriver (one end-to-end test of the list)"
# The end-to-end harness drives the binary CLAPAY_APP_BINARY names instead of the one cargo built.
# It keeps its own temporary folders; the test binary is built by `make test` before this runs.
HOME="$real_home" CLAPAY_APP_BINARY=/usr/bin/clapay-tokens \
  xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
  cargo test --workspace --locked --test e2e -- --exact list::list_shows_every_column_and_view_shows_the_composition \
  >"$work/e2e.log" 2>&1 || { cat "$work/e2e.log" >&2; fail "the end-to-end list test failed against /usr/bin/clapay-tokens"; }
grep -E '^test result: ok\. 1 passed' "$work/e2e.log" || { cat "$work/e2e.log" >&2; fail "the end-to-end list test did not run"; }

step "removing the package"
(cd "$data" && find . -type f -exec sha256sum {} + | sort -k2) >"$work/data-before"
$sudo dpkg -r clapay-tokens >"$work/dpkg-r.log" 2>&1 || { cat "$work/dpkg-r.log" >&2; fail "dpkg -r failed"; }
installed=0
dpkg-query -W -f='${Status}' clapay-tokens 2>/dev/null | grep -q "install ok installed" && fail "clapay-tokens is still installed after dpkg -r"
for file in "${expected[@]}"; do
  [[ ! -e "$file" ]] || fail "$file is still there after dpkg -r"
done
(cd "$data" && find . -type f -exec sha256sum {} + | sort -k2) >"$work/data-after"
diff "$work/data-before" "$work/data-after" >/dev/null || fail "removing the package changed the data folder $data"
step "the data folder $data is as it was ($(wc -l <"$work/data-after") file(s))"

step "the .rpm ($(basename "$rpm_file"))"
command -v rpm >/dev/null || fail "rpm is missing: scripts/setup.sh --test installs it (apt-get install rpm)"
info=$(rpm -qip "$rpm_file" 2>/dev/null)
for field in "Name        : clapay-tokens" "Version     : $version" "License     : Proprietary" "URL         : https://clapay.app"; do
  grep -qF -- "$field" <<<"$info" || fail "rpm -qip has no '$field'"
done
rpm_files=$(rpm -qlp "$rpm_file" 2>/dev/null)
for file in "${expected[@]}"; do
  grep -qx -- "$file" <<<"$rpm_files" || fail "the .rpm does not install $file"
done
rpm -qp --queryformat '[%{FILEMODES:perms} %{FILENAMES}\n]' "$rpm_file" 2>/dev/null |
  grep -qE '^-rwxr-xr-x /usr/bin/clapay-tokens-cli$' || fail "the .rpm does not install clapay-tokens-cli executable"
requires=$(rpm -qRp "$rpm_file" 2>/dev/null)
for soname in $sonames; do
  grep -q -- "^$soname(" <<<"$requires" || fail "the binaries link $soname but the .rpm does not require it (tauri.conf.json, bundle.linux.rpm.depends)"
done

echo "package-test: $(basename "$deb") and $(basename "$rpm_file") passed"
