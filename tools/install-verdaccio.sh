#!/bin/sh
# Installs verdaccio, the npm registry tests/test_codeartifact.py logs npm in
# to, into .tools/verdaccio (git-ignored), from npm's registry. 6.8 is the
# last line that runs on Node 20 (6.10 wants Node 22). Nothing to do when
# it is there already.
set -eu
cd "$(dirname "$0")/.."
dir=.tools/verdaccio
version=6.8
if [ -x "$dir/node_modules/.bin/verdaccio" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm is missing: install Node.js 20 or later (Debian/Ubuntu: sudo apt-get install nodejs npm)" >&2
  exit 1
fi
mkdir -p "$dir"
echo "installing verdaccio $version into $dir"
npm install --silent --no-audit --no-fund --prefix "$dir" "verdaccio@$version"
