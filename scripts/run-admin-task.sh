#!/usr/bin/env bash
# The operator's entry point: runs one pit-runner command as a one-shot ECS task through
# `pit-runner dispatch`, streams its log and exits with the container's exit code.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: scripts/run-admin-task.sh [dispatch options --] <command> [args...]

Runs `pit-runner <command> [args...]` as a one-shot ECS Fargate task, streams its
CloudWatch log from the first line, and exits with the container's exit code.
The command's arguments reach the container exactly as given here.

Where to run: the stack infra/ deployed, or the four variables below
(flags of `pit-runner dispatch` override both; the stack overrides the variables):
  PIT_RUNNER_STACK     stack name (or --stack NAME): its outputs give the cluster, the
                       operators' task definition, the subnets and the security group
  ECS_CLUSTER          cluster name or ARN
  ECS_TASK_FAMILY      task definition family, family:revision or ARN
  ECS_SUBNETS          comma-separated private subnet ids
  ECS_SECURITY_GROUP   security group id(s), comma-separated
Also (environment):
  AWS_REGION           the cluster's region (or a region in your AWS profile)
  ECS_CONTAINER        container to run the command in (default: runner)
  ECS_CAPACITY         FARGATE (default) or FARGATE_SPOT
  DISPATCH_TIMEOUT     stop the task after this long, e.g. 30m (default: no limit)
  PIT_RUNNER           the pit-runner executable to dispatch with
                       (default: this checkout's bin/pit-runner.js, else pit-runner on PATH)

Dispatch options (see `pit-runner dispatch --help`) go first and end with `--`:
  scripts/run-admin-task.sh --timeout 2h --capacity FARGATE_SPOT -- reprocess --status ERROR --mode inline --yes

Examples:
  scripts/run-admin-task.sh --stack pit-runner -- migrate status
  scripts/run-admin-task.sh migrate status
  scripts/run-admin-task.sh process --submission-id 3f0c9d4e-8a51-4c0e-9a43-1f5f0f6c2b7a
  scripts/run-admin-task.sh shell          # then paste the printed `aws ecs execute-command` line

Exit codes: the container's own (0 ok, 1 failed, 2 usage/config, 3 migrations pending,
75 transient, 143 stopped); 125 when the task never started (the reason is printed).
USAGE
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  '') usage >&2; exit 2 ;;
esac

# A pit-runner command never starts with "-", so leading dashes can only be dispatch options.
dispatch_options=()
if [[ "$1" == -* ]]; then
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    dispatch_options+=("$1")
    shift
  done
  if [ $# -eq 0 ]; then
    echo "run-admin-task: end the dispatch options with -- before the command (see --help)" >&2
    exit 2
  fi
  shift
fi

checkout="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${PIT_RUNNER:-}" ]; then
  runner=("$PIT_RUNNER")
elif [ -f "$checkout/bin/pit-runner.js" ] && [ -d "$checkout/node_modules" ]; then
  runner=(node "$checkout/bin/pit-runner.js")
else
  runner=(pit-runner)
fi

# The ${a[@]+...} form keeps an empty array safe under `set -u` on older bash (macOS ships 3.2).
exec "${runner[@]}" dispatch ${dispatch_options[@]+"${dispatch_options[@]}"} -- "$@"
