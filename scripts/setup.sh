#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian machine, and nothing that is
# already there. Safe to run again and again: each step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

apt_packages=()
command -v chromium >/dev/null || apt_packages+=(chromium)
command -v chromedriver >/dev/null || apt_packages+=(chromium-driver)
command -v brotli >/dev/null || apt_packages+=(brotli)
# The collector's PostgreSQL backend is tested against a real server that the tests start
# themselves (demo-site/tests/common/postgres.rs); the package also creates the `postgres`
# user they run it as when the tests run as root.
if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  apt_packages+=(postgresql)
  # Only the binaries: no system-wide cluster started on port 5432 by the package.
  if [[ ! -e /etc/postgresql-common/createcluster.conf ]]; then
    mkdir -p /etc/postgresql-common
    echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf
  fi
fi
if ((${#apt_packages[@]})); then
  step "apt: ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${apt_packages[@]}"
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup: wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen-cli must match the wasm-bindgen crate exactly; its version comes from the lock.
bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' \
  Cargo.lock)
if [[ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $bindgen_version" ]]; then
  step "cargo install wasm-bindgen-cli $bindgen_version"
  # --locked fails on a registry gap here; the version pin is what matters.
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

wasm_pack_version=0.13.1
if [[ "$(wasm-pack --version 2>/dev/null)" != "wasm-pack $wasm_pack_version" ]]; then
  step "cargo install wasm-pack $wasm_pack_version"
  cargo install wasm-pack --version "$wasm_pack_version" --force
fi

for dir in js tests/e2e tests/package demo-site; do
  if [[ -f "$dir/package-lock.json" ]] &&
    ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json" 2>/dev/null; then
    step "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund)
  fi
done
