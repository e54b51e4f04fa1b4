#!/usr/bin/env bash
# Installs what pit-runner and its tests need on a Debian/Ubuntu machine, then the npm packages.
# Idempotent: Debian packages are installed only when missing. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

# Maven offline repository (/usr/share/maven-repo) with surefire, compiler and resources plugins,
# JUnit 5 (and its console launcher) and JUnit 4; pytest; shellcheck for `npm run lint`.
debian_packages=(
  maven default-jdk-headless libsurefire-java libmaven-compiler-plugin-java libmaven-resources-plugin-java
  junit5 junit4 python3-pytest util-linux shellcheck
)

missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "setup: missing packages (${missing[*]}) and no apt-get; install them by hand" >&2
    exit 1
  fi
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
fi

npm ci --no-audit --no-fund --loglevel=error
