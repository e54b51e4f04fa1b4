#!/usr/bin/env bash
# Builds the pit-runner image with buildah on a machine without a Docker engine (root required).
# Where public base images cannot be pulled, it builds on a local stand-in of the base (see
# image-standin-base.sh); elsewhere `docker build .` builds the same Dockerfile on the real base.
# Usage: build-image.sh [--ref <git-ref>]   (--ref builds a committed tree instead of the working tree)
#   PIT_RUNNER_IMAGE        tag to build (default localhost/pit-runner:dev)
#   PIT_RUNNER_IMAGE_CACHE  cache folder outside the repo (default ~/.cache/pit-runner-image)
set -euo pipefail
ref=""
case "${1:-}" in
  -h|--help) sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 0 ;;
  --ref) ref="${2:?--ref needs a git ref}" ;;
  "") ;;
  *) echo "build-image.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
esac
# shellcheck source=scripts/image-env.sh
source "$(dirname "$0")/image-env.sh"
image_env_setup

started=$SECONDS
base_digest="$(bash "$repo_root/scripts/image-standin-base.sh")"
say "stand-in base ready ($((SECONDS - started)) s): $(dockerfile_arg NODE_IMAGE)@$base_digest"

context="$repo_root"
if [ -n "$ref" ]; then
  context="$(mktemp -d "$image_cache/context.XXXXXX")"
  trap 'rm -rf "$context"' EXIT
  git -C "$repo_root" archive "$ref" | tar -x -C "$context"
fi

build_started=$SECONDS
buildah bud --isolation chroot --network host --layers \
  --build-arg NODE_DIGEST="$base_digest" \
  --build-arg GIT_SHA="$(git -C "$repo_root" rev-parse "${ref:-HEAD}" 2>/dev/null || true)" \
  --quiet --tag "$image_name" --file "$context/Dockerfile" "$context"
say "built $image_name in $((SECONDS - build_started)) s, $(podman image inspect --format '{{.Size}}' "$image_name" | numfmt --to=si)B"
# Keeps the layer cache of recent builds and drops what older ones left behind, so the cache stays bounded.
podman image prune --force --filter until=24h >/dev/null
