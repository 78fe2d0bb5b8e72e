#!/usr/bin/env bash
# Installs what the integration tests need to run a real VS Code extension host offline:
# Debian's chromium, ripgrep and libkrb5-dev, and code-server (a full VS Code: web workbench plus
# a Node extension host) from npm, cached outside the repo. See docs/test-host.md in shared/.
#
# Idempotent: a marker file in the cache dir says the install is complete; then it does nothing.
# Works as root, without a TTY, in CI.
#   bash scripts/install-test-host.sh
#   VIRGO_TEST_HOST_DIR=/some/dir bash scripts/install-test-host.sh
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
HOST_DIR="${VIRGO_TEST_HOST_DIR:-$HOME/.cache/virgo-vscode/code-server-$CODE_SERVER_VERSION}"
MARKER="$HOST_DIR/.virgo-install-complete"
APT_PACKAGES=(chromium ripgrep libkrb5-dev)

log() { printf '[install-test-host] %s\n' "$*"; }
elapsed() { printf '%ss' "$((SECONDS - ${1}))"; }

# 1. Debian packages. `apt-get update` only when something is missing.
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo -n); fi
  t=$SECONDS
  log "apt: installing ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  log "apt: done in $(elapsed $t)"
else
  log "apt: ${APT_PACKAGES[*]} already installed"
fi

# 2. code-server, skipped when the marker says the cache is complete.
if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$CODE_SERVER_VERSION" ]]; then
  log "code-server $CODE_SERVER_VERSION already installed in $HOST_DIR"
  exit 0
fi

if [[ -z "$HOST_DIR" || "$HOST_DIR" == "/" ]]; then
  log "refusing to install into '$HOST_DIR'"
  exit 1
fi

# A half-finished install (no marker) is not worth repairing: start over.
rm -rf "$HOST_DIR"
mkdir -p "$HOST_DIR"
cd "$HOST_DIR"
printf '{ "name": "virgo-test-host", "private": true }\n' >package.json

# Keep npm quiet and non-interactive; no audit/fund round trips.
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
export npm_config_loglevel=error npm_config_progress=false

t=$SECONDS
# code-server's own postinstall refuses root, and @vscode/ripgrep's downloads rg from GitHub
# (unreachable here), which would roll the whole install back; so no scripts, then redo by hand.
log "npm: code-server@$CODE_SERVER_VERSION (no scripts)"
npm install --ignore-scripts --no-save "code-server@$CODE_SERVER_VERSION" >/dev/null
log "npm: rebuild argon2"
npm rebuild argon2 >/dev/null

# Redo code-server's postinstall.sh (vscode_install) by hand.
VSCODE_DIR="$HOST_DIR/node_modules/code-server/lib/vscode"
cd "$VSCODE_DIR"
log "npm: VS Code dependencies"
npm install --omit=dev --ignore-scripts >/dev/null
# Debian's rg in place of the download, before `npm rebuild` runs ripgrep's postinstall.
RG="$(command -v rg)"
mkdir -p node_modules/@vscode/ripgrep/bin
ln -sfn "$RG" node_modules/@vscode/ripgrep/bin/rg
log "npm: rebuild native modules (node-pty, kerberos, ...)"
# node-pty's install runs `npx node-gyp`, which would ask before installing.
npm_config_yes=true npm rebuild >/dev/null
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sfn code-linux.sh code-server)
(cd bin/helpers && ln -sfn browser-linux.sh browser.sh)
log "npm: built-in extensions' dependencies"
(cd extensions && npm install --omit=dev >/dev/null)

# Sanity check before declaring the cache complete.
"$HOST_DIR/node_modules/.bin/code-server" --version >/dev/null
printf '%s\n' "$CODE_SERVER_VERSION" >"$MARKER"
log "code-server $CODE_SERVER_VERSION installed in $HOST_DIR in $(elapsed $t) ($(du -sh "$HOST_DIR" | cut -f1))"
