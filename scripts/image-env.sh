# Sourced by the image scripts: one place for the cache folder, the private podman/buildah configuration
# and the tools they need. The machine's own container configuration is never read or changed.
# shellcheck shell=bash

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
image_cache="${PIT_RUNNER_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pit-runner-image}"
# shellcheck disable=SC2034  # read by the scripts that source this file
image_name="${PIT_RUNNER_IMAGE:-localhost/pit-runner:dev}"

say() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() { say "$*"; exit 1; }

# The one place the base image is named: the Dockerfile's ARG defaults.
dockerfile_arg() {
  sed -n "s/^ARG $1=//p" "$repo_root/Dockerfile" | head -n 1
}

install_missing() {
  local missing=() cmd pkg
  for pair in "$@"; do
    cmd="${pair%%:*}" pkg="${pair#*:}"
    command -v "$cmd" >/dev/null || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "needs root to install ${missing[*]} (and to build with buildah); run as root"
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
}

# Measured on this kind of host: crun refuses the hybrid cgroup v1/v2 hierarchy ("cgroups in hybrid mode
# not supported"), and podman's default open-files limit is above the host's hard limit, which root here
# cannot raise (no CAP_SYS_RESOURCE), so every container start fails unless the limits are set explicitly.
write_container_config() {
  mkdir -p "$image_cache/storage" "$image_cache/run"
  cat >"$image_cache/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
CONF
  cat >"$image_cache/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$image_cache/storage"
runroot = "$image_cache/run"
CONF
  export CONTAINERS_CONF="$image_cache/containers.conf"
  export CONTAINERS_STORAGE_CONF="$image_cache/storage.conf"
}

image_env_setup() {
  [ "$(id -u)" -eq 0 ] || die "podman and buildah run as root here; run this script as root"
  install_missing podman:podman buildah:buildah runc:runc debootstrap:debootstrap
  write_container_config
}
