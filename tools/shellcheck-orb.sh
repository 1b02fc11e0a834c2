#!/bin/sh
# Runs shellcheck on the orb's step scripts as they ship: each with its
# `# orb-pack:include(..)` lines replaced by the files they name, as the
# packer does, so that what the prelude defines is seen where it is used.
# SC2317 (unreachable code) is off for them: not every script calls every
# function of the prelude, and the PowerShell tail is unreachable for sh.
set -eu
cd "$(dirname "$0")/../orb/src"
status=0
for script in scripts/*.sh; do
  awk '
    /^[ \t]*# orb-pack:include\(.*\)[ \t]*$/ {
      path = $0
      sub(/^[ \t]*# orb-pack:include\(/, "", path)
      sub(/\)[ \t]*$/, "", path)
      while ((getline line < path) > 0) print line
      close(path)
      next
    }
    { print }
  ' "$script" >"${TMPDIR:-/tmp}/orb-script.$$"
  echo "shellcheck $script"
  shellcheck -s sh -e SC2317 "${TMPDIR:-/tmp}/orb-script.$$" | sed "s|${TMPDIR:-/tmp}/orb-script.$$|$script (inlined)|" || status=1
  # The pipe loses the checker's exit status: ask again, quietly.
  shellcheck -s sh -e SC2317 -f quiet "${TMPDIR:-/tmp}/orb-script.$$" || status=1
done
rm -f "${TMPDIR:-/tmp}/orb-script.$$"
for lib in scripts/lib/*.sh; do
  echo "shellcheck $lib"
  # Alone, a library reads and sets variables of the scripts it is inlined in.
  shellcheck -s sh -e SC2154,SC2034 "$lib" || status=1
done
exit "$status"
