#!/usr/bin/env bash
# Builds the pit-runner image with buildah on a machine without a Docker engine (root required).
# Where public base images cannot be pulled, it builds on a local stand-in of the base (see
# image-standin-base.sh); elsewhere `docker build .` builds the same Dockerfile on the real base.
# Usage: build-image.sh [--ref <git-ref>] [--push <dest> [--zstd]]
#   --ref   builds a committed tree instead of the working tree
#   --push  pushes the built image to <dest>, any buildah destination (docker://<registry>/<repo>:<tag>,
#           oci:<dir>); --zstd compresses its layers with zstd, which Fargate pulls and unpacks faster than gzip
#   PIT_RUNNER_IMAGE        tag to build (default localhost/pit-runner:dev)
#   PIT_RUNNER_IMAGE_CACHE  cache folder outside the repo (default ~/.cache/pit-runner-image)
# It prints the image's size as a registry stores it (gzip-compressed layers), the figure a task pulls.
set -euo pipefail
ref="" push="" compression=gzip
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
    --ref) ref="${2:?--ref needs a git ref}"; shift ;;
    --push) push="${2:?--push needs a destination}"; shift ;;
    --zstd) compression=zstd ;;
    *) echo "build-image.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done
[ "$compression" = gzip ] || [ -n "$push" ] || { echo "build-image.sh: --zstd goes with --push" >&2; exit 2; }
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

# The sum of the image's layers gzip-compressed. Each layer is compressed once and its size kept by its
# digest, so a rebuild that changed only the CLI's layer compresses only that one.
compressed_size() {
  local dir sizes="$image_cache/layer-gzip-sizes" total=0 digest size
  dir="$(mktemp -d "$image_cache/oci.XXXXXX")"
  touch "$sizes"
  podman image save --quiet --format oci-dir --uncompressed -o "$dir" "$image_name"
  # shellcheck disable=SC2016  # a JavaScript template literal, not a shell expansion
  for digest in $(node -e '
      const { readFileSync } = require("node:fs"); const dir = process.argv[1];
      const blob = (d) => JSON.parse(readFileSync(`${dir}/blobs/${d.replace(":", "/")}`, "utf8"));
      const index = JSON.parse(readFileSync(`${dir}/index.json`, "utf8"));
      for (const layer of blob(index.manifests[0].digest).layers) console.log(layer.digest);' "$dir"); do
    size="$(awk -v d="$digest" '$1 == d { print $2; exit }' "$sizes")"
    if [ -z "$size" ]; then
      size="$(gzip -6 -c "$dir/blobs/${digest/://}" | wc -c)"
      printf '%s %s\n' "$digest" "$size" >>"$sizes"
    fi
    total=$((total + size))
  done
  rm -rf "$dir"
  echo "$total"
}

build_started=$SECONDS
buildah bud --isolation chroot --network host --layers \
  --build-arg NODE_DIGEST="$base_digest" \
  --build-arg GIT_SHA="$(git -C "$repo_root" rev-parse "${ref:-HEAD}" 2>/dev/null || true)" \
  --quiet --tag "$image_name" --file "$context/Dockerfile" "$context"
say "built $image_name in $((SECONDS - build_started)) s, $(podman image inspect --format '{{.Size}}' "$image_name" | numfmt --to=si)B"
say "compressed (gzip, as pulled): $(compressed_size | numfmt --to=si)B"
if [ -n "$push" ]; then
  buildah push --quiet --compression-format "$compression" --force-compression "$image_name" "$push"
  say "pushed $image_name to $push ($compression layers)"
fi
# Keeps the layer cache of recent builds and drops what older ones left behind, so the cache stays bounded.
podman image prune --force --filter until=24h >/dev/null
