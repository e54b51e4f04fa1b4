#!/usr/bin/env bash
# Builds the sandbox's system-call filter launcher into build/ (ignored by git): one static C program
# that needs only a C compiler and the kernel's headers (Debian: gcc, libc6-dev), no library at run
# time. Static, so it starts without the dynamic loader and runs inside any sandbox root. Skips work
# that is up to date; --force rebuilds. Used by scripts/setup.sh and the Dockerfile.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source="$here/sandbox-filter.c"
out="$here/build"
launcher="$out/sandbox-filter"

if [ "${1:-}" != "--force" ] && [ -x "$launcher" ] && [ "$launcher" -nt "$source" ]; then
  exit 0
fi
compiler="$(command -v cc || command -v gcc || true)"
[ -n "$compiler" ] || { echo "sandbox-filter: no C compiler (Debian: gcc libc6-dev); tests will run without the system-call filter" >&2; exit 1; }

mkdir -p "$out"
"$compiler" -std=c11 -O2 -Wall -Wextra -Werror -static -s -o "$launcher.tmp" "$source"
# The filter must load on this kernel, or the runner would start every test through a launcher that fails.
"$launcher.tmp" --check || { rm -f "$launcher.tmp"; echo "sandbox-filter: this kernel refuses the filter" >&2; exit 1; }
mv "$launcher.tmp" "$launcher"
chmod 0755 "$out" "$launcher"
