#!/usr/bin/env bash
# Pins the Dockerfile's base image: resolves the digest the registry serves today for ARG NODE_IMAGE
# (the multi-platform index, so one pin fits every architecture) and writes it into ARG NODE_DIGEST.
# Run it on a machine that reaches the public registry (with docker buildx or skopeo), review the diff,
# rebuild, commit. Usage: image-pin-base.sh [--print]   (--print only prints the digest)
set -euo pipefail
dockerfile="$(cd "$(dirname "$0")/.." && pwd)/Dockerfile"
case "${1:-}" in
  -h|--help) sed -n '2,5s/^# \{0,1\}//p' "$0"; exit 0 ;;
esac
base="$(sed -n 's/^ARG NODE_IMAGE=//p' "$dockerfile" | head -n 1)"
[ -n "$base" ] || { echo "image-pin-base.sh: no 'ARG NODE_IMAGE=' in $dockerfile" >&2; exit 1; }

if docker buildx version >/dev/null 2>&1; then
  digest="$(docker buildx imagetools inspect "$base" --format '{{.Manifest.Digest}}')"
elif command -v skopeo >/dev/null; then
  digest="sha256:$(skopeo inspect --raw "docker://$base" | sha256sum | cut -d' ' -f1)"
else
  echo "image-pin-base.sh: needs docker buildx or skopeo, and access to the registry that serves $base" >&2
  exit 1
fi
[[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || { echo "image-pin-base.sh: unexpected digest '$digest'" >&2; exit 1; }

if [ "${1:-}" = "--print" ]; then echo "$digest"; exit 0; fi
sed -i "s/^ARG NODE_DIGEST=.*/ARG NODE_DIGEST=$digest/" "$dockerfile"
echo "pinned $base@$digest in $dockerfile" >&2
