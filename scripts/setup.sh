#!/usr/bin/env bash
# Installs what pit-runner, its sample PITs and its tests need on a Debian 12 (or Ubuntu) machine, then
# the npm packages. Idempotent and quiet: Debian packages are installed only when missing, `npm ci` runs
# only when package-lock.json is newer than node_modules. Needs root (or sudo) when packages are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
[ "$node_major" -ge 20 ] || die "needs Node.js 20 or later on PATH (found: $(node --version 2>/dev/null || echo none))"

# JDK 17 and Maven; Debian's offline Maven repository /usr/share/maven-repo gets the surefire, compiler and
# resources plugins, JUnit 5.9.2 / 4.13.2 and AssertJ 3.14 (junit5 also ships the JUnit console launcher
# the javac and junit PITs run); Debian's pytest for /usr/bin/python3, and pytest-timeout for per-test
# limits; util-linux (setpriv, prlimit, unshare, ipcrm) and keyutils (keyctl: a session keyring per run, the
# key sweep) for the sandbox; gcc and libc6-dev (with the kernel's headers) to build the sandbox's
# system-call filter; shellcheck for lint.
debian_packages=(
  openjdk-17-jdk-headless maven libsurefire-java libmaven-compiler-plugin-java libmaven-resources-plugin-java
  junit5 junit4 libassertj-core-java python3 python3-pytest python3-pytest-timeout util-linux keyutils gcc libc6-dev
  shellcheck
)

missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get; install them by hand"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "missing packages (${missing[*]}); run as root or install sudo"
    sudo="sudo"
  fi
  say "installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
fi

# pytest loads pit-runner's harness by module name, and `python3 -I` ignores PYTHONPATH: a one-line .pth in
# the system Python's site-packages puts $PIT_RUNNER_HARNESS_DIR on its path when a graded run sets it.
pth_dir="$(/usr/bin/python3 -c 'import site; print(site.getsitepackages()[0])')"
if ! cmp -s src/grading/harness/pit_runner.pth "$pth_dir/pit_runner.pth"; then
  say "installing pit_runner.pth in $pth_dir"
  run_root=""
  [ "$(id -u)" -eq 0 ] || run_root="sudo"
  $run_root mkdir -p "$pth_dir"
  $run_root cp src/grading/harness/pit_runner.pth "$pth_dir/pit_runner.pth"
fi

# What the sample PITs name by path; a different distribution release may lay them out otherwise.
problems=()
[ -f /usr/share/java/junit-platform-console-standalone.jar ] || problems+=("no /usr/share/java/junit-platform-console-standalone.jar (javac PITs)")
[ -d /usr/share/maven-repo/org/junit/jupiter/junit-jupiter/5.9.2 ] || problems+=("no JUnit Jupiter 5.9.2 in /usr/share/maven-repo (Maven PITs)")
/usr/bin/python3 -c 'import pytest' 2>/dev/null || problems+=("/usr/bin/python3 cannot import pytest (pytest PITs)")
PIT_RUNNER_HARNESS_DIR="$PWD/src/grading/harness" /usr/bin/python3 -I -B -c 'import pit_runner_pytest' 2>/dev/null \
  || problems+=("/usr/bin/python3 -I cannot import pit-runner's pytest harness (pytest PITs)")
[ ${#problems[@]} -eq 0 ] || die "installed, but the sample PITs will not run: ${problems[*]}"

# The junit build tool's helper and its class-data-sharing archive, and the sandbox's system-call filter
# launcher (each skipped when up to date).
bash java/junit-runner/build.sh
bash native/sandbox-filter/build.sh

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

# The compiled CLI, which bin/pit-runner.js runs while it matches the sources (see bin/build-stamp.js).
if ! node --input-type=module -e "import { buildIsCurrent } from './bin/build-stamp.js'; process.exit(buildIsCurrent('.') ? 0 : 1)"; then
  say "compiling to dist/"
  npm run build --silent
fi
