#!/usr/bin/env bash
# Builds the junit build tool's helper into build/ (ignored by git): pit-junit.jar, compiled against
# the JUnit Platform console launcher Debian's junit5 package ships, then a class-data-sharing archive
# (pit-junit.jsa) of the helper, javac and JUnit, recorded while the helper grades the training project.
# The runner adds the archive to the command only when it exists; the JVM ignores one that no longer
# matches its jars (after a package upgrade, say), so grading never depends on it. Skips work that is
# up to date; --force rebuilds. Used by scripts/setup.sh and the Dockerfile.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
junit=/usr/share/java/junit-platform-console-standalone.jar
out="$here/build"
jar="$out/pit-junit.jar"
archive="$out/pit-junit.jsa"

[ -f "$junit" ] || { echo "junit-runner: no $junit (Debian package junit5)" >&2; exit 1; }
if [ "${1:-}" != "--force" ] && [ -f "$archive" ] && [ -z "$(find "$here/src" "$here/training" "$junit" -newer "$archive" -print -quit)" ]; then
  exit 0
fi

rm -rf "$out"
mkdir -p "$out/classes"
# -XDstringConcat=inline: the helper's string joins compile to StringBuilder calls, so none of them
# spins method-handle classes at run time (each first use of an invokedynamic join costs a few ms).
find "$here/src" -name '*.java' -print0 | xargs -0 javac -nowarn --release 17 -XDstringConcat=inline -encoding UTF-8 -d "$out/classes" -cp "$junit"
jar --create --file "$jar" -C "$out/classes" .
rm -rf "$out/classes"

# The training run: the same class path and flags as a graded run (src/pits/junit.ts). Its tests
# fail on purpose (exit code 1), so failure reporting is archived too.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp -R "$here/training/." "$scratch/"
(cd "$scratch" && java -XX:ArchiveClassesAtExit="$archive" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
  -Djava.security.manager=allow --add-opens=java.base/java.io=ALL-UNNAMED \
  -cp "$jar:$junit" pitrunner.junit.Main >"$scratch/training.log" 2>&1) || true
grep -q '^PASSED  training.CounterTest#startsAtZero' "$scratch/training.log" \
  || { echo "junit-runner: the training run did not grade:" >&2; cat "$scratch/training.log" >&2; exit 1; }
[ -f "$archive" ] || echo "junit-runner: this JVM wrote no class-data-sharing archive; grading works without it" >&2
chmod -R a+rX "$out"
