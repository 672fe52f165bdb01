#!/usr/bin/env bash
# Puts the Node.js release this project runs on under .tools/node (and npm beside it), so that
# `make run` / `make test` need nothing but Debian 12: no Node, or an end-of-life one, on the
# host is fine. The binary comes from the npm registry's node-linux-<arch> package, which
# ships the Node project's own build with its headers (include/node): npm ci builds
# better-sqlite3 against exactly that Node (npm_config_nodedir, set by the Makefile's deps step).
# The only client it needs is an npm of any version to run `npm pack`; on a host with none it
# installs Debian's.
#   bin/setup-node.sh            install if missing or of another version; prints nothing then
#   bin/setup-node.sh --print    print the directory of the node binary
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NODE_VERSION="$(tr -d ' \n' < "$ROOT/.node-version")"
NPM_VERSION="11.21.2"
TOOLS="$ROOT/.tools"
NODE_DIR="$TOOLS/node"

if [ "${1:-}" = --print ]; then echo "$NODE_DIR/bin"; exit 0; fi

have() { [ -x "$NODE_DIR/bin/node" ] && [ "$(cat "$NODE_DIR/.version" 2>/dev/null)" = "$NODE_VERSION+npm$NPM_VERSION" ]; }
have && exit 0

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "setup-node: no Node.js package for $(uname -m)" >&2; exit 1 ;;
esac

# any npm can fetch a package: the host's, or Debian's (which brings its own older nodejs)
if ! command -v npm >/dev/null 2>&1; then
  echo "setup-node: installing Debian's npm to fetch Node.js $NODE_VERSION" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "setup-node: fetching Node.js $NODE_VERSION and npm $NPM_VERSION into .tools/" >&2
# npm pack verifies each tarball against the registry's integrity hash
(cd "$tmp" && npm pack --silent "node-linux-$arch@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
rm -rf "$NODE_DIR.new" "$TOOLS/npm.new"
mkdir -p "$NODE_DIR.new" "$TOOLS/npm.new"
tar xzf "$tmp/node-linux-$arch-$NODE_VERSION.tgz" -C "$NODE_DIR.new" --strip-components=1 --no-same-owner
tar xzf "$tmp/npm-$NPM_VERSION.tgz" -C "$TOOLS/npm.new" --strip-components=1 --no-same-owner
chmod 755 "$NODE_DIR.new/bin/node"
"$NODE_DIR.new/bin/node" -e 'process.exit(process.version === "v" + process.argv[1] ? 0 : 1)' "$NODE_VERSION" \
  || { echo "setup-node: the fetched node does not run here" >&2; exit 1; }
# npm and npx next to node, so that one PATH entry gives all three
ln -s ../../npm/bin/npm-cli.js "$NODE_DIR.new/bin/npm"
ln -s ../../npm/bin/npx-cli.js "$NODE_DIR.new/bin/npx"
rm -rf "$NODE_DIR" "$TOOLS/npm"
mv "$TOOLS/npm.new" "$TOOLS/npm"
mv "$NODE_DIR.new" "$NODE_DIR"
echo "$NODE_VERSION+npm$NPM_VERSION" > "$NODE_DIR/.version"
echo "setup-node: Node.js $("$NODE_DIR/bin/node" --version) ready in .tools/node" >&2
