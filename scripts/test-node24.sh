#!/usr/bin/env bash
# The test suite a second time, on Node 24 (the current LTS the image runs), from the npm
# `node` package pinned in tools/node24 — the machine's own Node stays 20 for the README's two
# commands. The run happens in a copy of this tree, because re2 is a native addon built for
# one Node ABI: the copy's re2 is rebuilt against Node 24's headers (shipped in that package),
# and this tree keeps its Node 20 build. Called by .ci/run; takes the same arguments as vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

echo "node24: npm ci --prefix tools/node24" >&2
npm ci --prefix tools/node24 --no-audit --no-fund >/dev/null
node24=$(readlink -f tools/node24/node_modules/.bin/node)
headers=$(dirname "$(find tools/node24/node_modules -path '*/include/node/node.h' -print -quit)")
nodedir=$(readlink -f "$headers/../..")
[ -x "$node24" ] && [ -f "$nodedir/include/node/node.h" ] || {
  echo "node24: no Node 24 binary or headers under tools/node24" >&2
  exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/warden-node24.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "node24: copying the tree to $work" >&2
tar --exclude=./tools/node24 --exclude=./dist -cf - . | tar -xf - -C "$work"
cd "$work"
export PATH="$(dirname "$node24"):$PATH"
echo "node24: rebuilding re2 for $(node --version) against $nodedir" >&2
RE2_DOWNLOAD_SKIP_PATH=1 npm rebuild re2 --nodedir="$nodedir" --no-audit --no-fund >/dev/null
node -e "require('re2')" # fails loudly if the addon does not load on this Node

echo "node24: npm test on $(node --version)" >&2
node node_modules/vitest/vitest.mjs run "$@"
