# Sourced by the project's scripts: the project's own Node.js (bin/setup-node.sh) first on
# PATH. A host's /usr/bin/node (an older or end-of-life release) is never used once
# .tools/node exists.
_ivr_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -x "$_ivr_root/.tools/node/bin/node" ]; then
  case ":$PATH:" in *":$_ivr_root/.tools/node/bin:"*) ;; *) PATH="$_ivr_root/.tools/node/bin:$PATH" ;; esac
  export PATH
fi
unset _ivr_root
