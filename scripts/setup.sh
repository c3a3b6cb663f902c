#!/usr/bin/env bash
# Installs what Rampart needs and is missing, on Debian 12 / Ubuntu 22.04 or later.
#   scripts/setup.sh build   system libraries for the Tauri app, the UI's npm packages
#   scripts/setup.sh test    the above, plus Xvfb, WebKitWebDriver, gnome-keyring, secret-tool
#                            and tauri-driver for the end-to-end tests
# Idempotent: a second run installs nothing. Uses sudo only when not root.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-build}"
case "$mode" in build|test) ;; *) echo "usage: $0 build|test" >&2; exit 2 ;; esac

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "not root and sudo is missing: install the packages listed in scripts/setup.sh as root"
  sudo_cmd=(sudo)
fi

# Tauri 2 on Linux: WebKitGTK 4.1, GTK 3, librsvg, appindicator, libsoup 3.
packages=(pkg-config build-essential libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev
          libayatana-appindicator3-dev libsoup-3.0-dev)
if [ "$mode" = test ]; then
  # A virtual display, the WebKit WebDriver, a private D-Bus session and a Secret Service.
  packages+=(xvfb xauth webkit2gtk-driver dbus dbus-x11 gnome-keyring libsecret-tools)
  # The OS trust store the TLS tests check certificates against.
  packages+=(ca-certificates)
  # The app benchmark (make bench) clicks the window through the X server's XTEST extension.
  packages+=(libxtst6)
  # The protocol check (tests/ccxt) runs a third-party client in a Python venv: python3 and, on
  # Debian/Ubuntu, python3-venv for `python3 -m venv`.
  if ! command -v python3 >/dev/null; then
    packages+=(python3 python3-venv)
  elif ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
    packages+=(python3-venv)
  fi
fi
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || die "apt-get not found: install ${missing[*]} with your package manager"
  say "installing system packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Rust: the distributions' rustc is too old for Tauri 2, so it comes from rustup.
command -v cargo >/dev/null || die "Rust is missing: install it with rustup (https://rustup.rs), then run this again"
rust_minor=$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')
[ "$rust_minor" -ge 90 ] || die "Rust $(rustc --version) is too old: Rampart needs 1.90 or later (rustup update)"
for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    command -v rustup >/dev/null || die "cargo $component is missing and rustup is not installed"
    say "adding Rust component $component"
    rustup component add "$component"
  fi
done

# Node: Vite 8 needs 20.19 or later.
node_version=$(node --version | sed 's/^v//')
IFS=. read -r node_major node_minor _ <<<"$node_version"
if [ "$node_major" -lt 20 ] || { [ "$node_major" -eq 20 ] && [ "$node_minor" -lt 19 ]; }; then
  die "Node.js $node_version is too old: the UI build needs 20.19 or later (Debian 13 and Ubuntu 24.10 ship it; otherwise use your preferred Node.js installer)"
fi

# The UI's packages, exactly as locked.
if [ ! -f ui/node_modules/.package-lock.json ] || ! cmp -s ui/package-lock.json ui/node_modules/.rampart-lock; then
  say "installing the UI's npm packages (npm ci)"
  (cd ui && npm ci --no-audit --no-fund && cp package-lock.json node_modules/.rampart-lock)
fi

if [ "$mode" = test ]; then
  cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
  if ! { command -v tauri-driver >/dev/null || [ -x "$cargo_bin/tauri-driver" ]; }; then
    say "installing tauri-driver 2.x"
    cargo install tauri-driver --version '^2' --locked
  fi
fi
