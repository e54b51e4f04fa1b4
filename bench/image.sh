#!/usr/bin/env bash
# The CLI's cost inside the built image (Node 24, as ECS runs it), medians of interleaved runs:
# `process --help` and `process --zip` on the node sample, with V8's compile cache the image records at
# build time and without it (NODE_COMPILE_CACHE emptied), against the same test command by hand and
# against `node -e 0`. The container has no extra privileges: the sandbox runs as on Fargate (uid mode).
# Run scripts/build-image.sh first; needs root, like the other image scripts.
#
#   bash bench/image.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-7}"
# shellcheck source=scripts/image-env.sh
source scripts/image-env.sh
image_env_setup >/dev/null
podman image exists "$image_name" || die "no image $image_name; run scripts/build-image.sh first"

pit=javascript-node-roman-v1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
node --import tsx -e "import('./test/helpers/zip.ts').then((z) => z.zipDirectory('examples/$pit/correct', '$work/submission.zip', ''))"
chmod -R a+rX "$work"

podman run --rm --volume "$work:/bench:ro" --entrypoint bash "$image_name" -c '
set -euo pipefail
runs=$1 pit=$2
TIMEFORMAT=%R
seconds() { { time "$@" >/dev/null 2>&1; } 2>&1; }
median() { sort -n | awk "{ v[NR] = \$1 } END { print v[int((NR + 1) / 2)] }"; }
mkdir /tmp/hand && cp -R "/app/pits/$pit/." /tmp/hand/ && (cd /tmp/hand && unzip -qo /bench/submission.zip)
command=$(node -p "require(\"/app/pits/$pit.json\").testCommand")
for _ in $(seq "$runs"); do
  echo "node $(seconds node -e 0)"
  echo "help-cached $(seconds node /app/bin/pit-runner.js process --help)"
  echo "help-cold $(NODE_COMPILE_CACHE= seconds node /app/bin/pit-runner.js process --help)"
  echo "zip-cached $(seconds node /app/bin/pit-runner.js process --zip /bench/submission.zip --pit "$pit" --json)"
  echo "zip-cold $(NODE_COMPILE_CACHE= seconds node /app/bin/pit-runner.js process --zip /bench/submission.zip --pit "$pit" --json)"
  echo "hand $(cd /tmp/hand && seconds sh -c "$command")"
done > /tmp/times
m() { grep "^$1 " /tmp/times | cut -d" " -f2 | median; }
echo "node $(node --version) in the image, median of $runs interleaved runs:"
echo "  node -e 0: $(m node) s"
echo "  process --help: $(m help-cached) s with the compile cache, $(m help-cold) s without"
echo "  process --zip ($pit): $(m zip-cached) s with the compile cache, $(m zip-cold) s without; the test command by hand $(m hand) s"
awk -v a="$(m zip-cached)" -v h="$(m hand)" "BEGIN { printf \"  above the test command by hand: %.2f s (target 0.25 s)\n\", a - h }"
' bench "$runs" "$pit"
