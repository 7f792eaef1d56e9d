#!/usr/bin/env bash
# without_trees.sh — run a command with directories out of its reach, to
# prove that installed programs never read the source or build tree.
#
#   without_trees.sh DIR... -- COMMAND [ARGS...]
#
# In a private mount namespace (unshare -m, root only) each DIR is covered
# by an empty read-only tmpfs, so the command sees it empty.  Where no
# namespace can be made, says so and runs the command as it is: the callers'
# grep of the installed files for those paths is then the only proof.
set -euo pipefail
dirs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do dirs+=("$(cd "$1" && pwd)"); shift; done
[ $# -gt 0 ] || { echo "usage: $0 DIR... -- COMMAND" >&2; exit 2; }
shift

if [ "${MK_IN_NAMESPACE:-}" = 1 ]; then
  for d in "${dirs[@]}"; do
    # A directory inside one already covered is gone already.
    [ -d "$d" ] || continue
    mount -t tmpfs -o ro,size=4k mktows-hidden "$d"
    [ -z "$(ls -A "$d")" ] || { echo "without_trees: $d still visible" >&2; exit 1; }
  done
  echo "without_trees: hidden: ${dirs[*]}"
  exec "$@"
fi
if [ "$(id -u)" -eq 0 ] && unshare -m --propagation private true 2>/dev/null; then
  MK_IN_NAMESPACE=1 exec unshare -m --propagation private bash "$0" "${dirs[@]}" -- "$@"
fi
echo "without_trees: NOTE: no mount namespace here (not root, or unshare refused);" \
     "${dirs[*]} stay readable" >&2
exec "$@"
