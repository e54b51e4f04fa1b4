import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { quote } from 'shell-quote';
import type { CommandModule } from 'yargs';
import { EXIT, RunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import { dispatchTask, type Capacity, type DispatchPlan } from '../aws/dispatch.js';
import { handler } from './context.js';
import { parseDuration } from './duration.js';
import { commaList } from './flags.js';

export interface DispatchArgs {
  command: string[];
  stack?: string;
  cluster?: string;
  taskDefinition?: string;
  container?: string;
  subnets?: string;
  securityGroups?: string;
  assignPublicIp?: boolean;
  capacity?: string;
  region?: string;
  logGroup?: string;
  logStreamPrefix?: string;
  timeout?: string;
  wait?: boolean;
  clientToken?: string;
}

export interface DispatchCommandDeps {
  ecs: ECSClient;
  logs: CloudWatchLogsClient;
  /** Opened only for --stack. */
  cloudformation?: () => Promise<CloudFormationClient>;
  log: Logger;
  signal?: AbortSignal;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
  pollIntervalMs?: number;
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
}

// ECS tag values allow letters, digits, spaces and + - = . _ : / @ (at most 256 characters).
const tagValue = (text: string) => text.replace(/[^\p{L}\p{N} +\-=._:/@]/gu, '_').slice(0, 256);

function gitSha(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GIT_SHA || env.GITHUB_SHA) return env.GIT_SHA || env.GITHUB_SHA;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Flags win over the environment; every missing setting is listed at once (exit 2). */
export function resolvePlan(args: DispatchArgs, env: NodeJS.ProcessEnv = process.env, region?: string): DispatchPlan {
  const command = args.command.map(String);
  const cluster = args.cluster ?? env.ECS_CLUSTER;
  const taskDefinition = args.taskDefinition ?? env.ECS_TASK_DEFINITION ?? env.ECS_TASK_FAMILY;
  const subnets = commaList(args.subnets ?? env.ECS_SUBNETS);
  const securityGroups = commaList(args.securityGroups ?? env.ECS_SECURITY_GROUPS ?? env.ECS_SECURITY_GROUP);
  const capacity = (args.capacity ?? env.ECS_CAPACITY ?? 'FARGATE').toUpperCase();
  const problems = [
    !command.length && 'the command to run: pit-runner dispatch -- <command> [args…]',
    !cluster && 'ECS_CLUSTER (--cluster): the cluster to run in',
    !taskDefinition && 'ECS_TASK_FAMILY (--task-definition): the task definition family, family:revision or ARN',
    !subnets.length && 'ECS_SUBNETS (--subnets): comma-separated private subnet ids',
    !securityGroups.length && 'ECS_SECURITY_GROUP (--security-groups): comma-separated security group ids',
    !region && 'AWS_REGION (--region): the region of the cluster',
    capacity !== 'FARGATE' && capacity !== 'FARGATE_SPOT' && `ECS_CAPACITY (--capacity): FARGATE or FARGATE_SPOT, not "${capacity}"`,
  ].filter((p): p is string => Boolean(p));
  if (problems.length) throw new RunnerError('CONFIG', `dispatch needs:\n  - ${problems.join('\n  - ')}`, { details: { problems } });

  const shell = command[0] === 'shell';
  const who = env.GITHUB_ACTOR ?? env.USER ?? os.userInfo().username;
  const sha = gitSha(env);
  const timeout = args.timeout ?? env.DISPATCH_TIMEOUT;
  const wait = args.wait ?? true;
  return {
    cluster: cluster!,
    taskDefinition: taskDefinition!,
    container: args.container ?? env.ECS_CONTAINER ?? 'runner',
    subnets,
    securityGroups,
    assignPublicIp: args.assignPublicIp ?? env.ECS_ASSIGN_PUBLIC_IP === 'ENABLED',
    capacity: capacity as Capacity,
    command: shell && !command.includes('--hold') ? [...command, '--hold', '1h'] : command,
    startedBy: 'pit-runner-dispatch',
    tags: { 'pit-runner:command': tagValue(command[0]!), 'pit-runner:started-by': tagValue(who), ...(sha && { 'pit-runner:git-sha': tagValue(sha) }) },
    clientToken: args.clientToken ?? randomUUID(),
    enableExecuteCommand: shell,
    logGroup: args.logGroup ?? env.ECS_LOG_GROUP,
    logStreamPrefix: args.logStreamPrefix ?? env.ECS_LOG_STREAM_PREFIX,
    waitFor: !wait ? 'none' : shell ? 'running' : 'stopped',
    ...(timeout && timeout !== '0' && { timeoutMs: parseDuration(timeout, '--timeout') }),
  };
}

/** A one-line status on a terminal, cleared before each log line so the two never interleave. */
function statusLine(stderr: DispatchCommandDeps['stderr']) {
  let shown = false;
  return (status: string | undefined) => {
    if (!stderr.isTTY) return;
    if (status === undefined && !shown) return;
    stderr.write(status === undefined ? '\r\x1b[2K' : `\r\x1b[2K${status}`);
    shown = status !== undefined;
  };
}

/** With --stack (or PIT_RUNNER_STACK), the stack's outputs fill in what no flag gives, before the environment. */
async function withStackTarget(args: DispatchArgs, deps: DispatchCommandDeps, env: NodeJS.ProcessEnv): Promise<DispatchArgs> {
  const stack = args.stack ?? env.PIT_RUNNER_STACK;
  if (!stack) return args;
  if (!deps.cloudformation) throw new RunnerError('INTERNAL', 'dispatch --stack: no CloudFormation client was given');
  const { readDispatchTarget } = await import('../aws/stack-outputs.js'); // its SDK loads only for --stack
  const target = await readDispatchTarget(await deps.cloudformation(), stack);
  return {
    ...args,
    cluster: args.cluster ?? target.cluster,
    taskDefinition: args.taskDefinition ?? target.taskDefinition,
    subnets: args.subnets ?? target.subnets,
    securityGroups: args.securityGroups ?? target.securityGroups,
    logGroup: args.logGroup ?? target.logGroup,
  };
}

/** Runs the command in one ECS task and returns the container's exit code (125: it never started). */
export async function runDispatch(args: DispatchArgs, deps: DispatchCommandDeps): Promise<number> {
  const env = deps.env ?? process.env;
  const region = await deps.ecs.config.region().catch(() => undefined);
  const plan = resolvePlan(await withStackTarget(args, deps, env), env, region);
  const progress = statusLine(deps.stderr);
  const result = await dispatchTask(plan, {
    ...deps,
    progress,
    output: (line) => {
      progress(undefined);
      deps.stdout.write(line.endsWith('\n') ? line : `${line}\n`);
    },
  });
  if (result.exitCode === EXIT.NOT_STARTED) {
    deps.stderr.write(`pit-runner dispatch: the task did not start${result.taskArn ? ` (${result.taskArn})` : ''}: ${result.reason ?? 'no reason given'}\n`);
  } else if (plan.waitFor === 'none') {
    deps.stdout.write(`${result.taskArn}\n`);
  } else if (plan.waitFor === 'running' && result.lastStatus === 'RUNNING') {
    const exec = ['aws', 'ecs', 'execute-command', '--region', region!, '--cluster', plan.cluster, '--task', result.taskId!, '--container', plan.container, '--interactive', '--command', '/bin/sh'];
    const stop = ['aws', 'ecs', 'stop-task', '--region', region!, '--cluster', plan.cluster, '--task', result.taskId!, '--reason', 'shell done'];
    deps.stdout.write(`${quote(exec)}\n`);
    deps.stderr.write(`task ${result.taskId} is running and holds for ${plan.command[plan.command.indexOf('--hold') + 1]}. Inside, run: pit-runner shell\nWhen done: ${quote(stop)}\n`);
  } else if (result.reason) {
    deps.stderr.write(`pit-runner dispatch: task ${result.taskId} exited ${result.exitCode} (${result.reason})\n`);
  }
  return result.exitCode;
}

export const dispatchCommand: CommandModule<object, DispatchArgs> = {
  builder: (y) => y
    .parserConfiguration({ 'populate--': true })
    .usage('$0 dispatch [options] -- <command> [args…]\n\nEverything after -- reaches the container exactly. `dispatch shell` starts a task for ECS Exec.')
    .positional('command', { type: 'string', array: true, default: [] })
    .option('stack', { type: 'string', describe: 'read cluster, task definition, subnets and security group from this CloudFormation stack\'s outputs (infra/) [env PIT_RUNNER_STACK]' })
    .option('cluster', { type: 'string', describe: 'ECS cluster [env ECS_CLUSTER]' })
    .option('task-definition', { type: 'string', describe: 'family, family:revision or ARN [env ECS_TASK_FAMILY]' })
    .option('container', { type: 'string', describe: 'container to override [env ECS_CONTAINER, default runner]' })
    .option('subnets', { type: 'string', describe: 'comma-separated subnet ids [env ECS_SUBNETS]' })
    .option('security-groups', { type: 'string', describe: 'comma-separated security groups [env ECS_SECURITY_GROUP(S)]' })
    .option('assign-public-ip', { type: 'boolean', describe: 'give the task a public IP [env ECS_ASSIGN_PUBLIC_IP=ENABLED, default off]' })
    .option('capacity', { type: 'string', choices: ['FARGATE', 'FARGATE_SPOT'], describe: '[env ECS_CAPACITY, default FARGATE]' })
    .option('region', { type: 'string', describe: '[env AWS_REGION]' })
    .option('log-group', { type: 'string', describe: 'default: the task definition\'s awslogs-group [env ECS_LOG_GROUP]' })
    .option('log-stream-prefix', { type: 'string', describe: 'default: its awslogs-stream-prefix [env ECS_LOG_STREAM_PREFIX]' })
    .option('timeout', { type: 'string', describe: 'stop the task after this long, e.g. 30m, 2h [env DISPATCH_TIMEOUT, default: no limit]' })
    .option('wait', { type: 'boolean', default: true, describe: 'follow the task to its exit code; --no-wait prints the task ARN' })
    .option('client-token', { type: 'string', describe: 'idempotency token: a retried dispatch with the same token starts no second task' }),
  handler: handler<DispatchArgs>(async (args, ctx) => {
    const raw = (args as { '--'?: unknown[] })['--'];
    const command = [...(args.command ?? []), ...(raw ?? [])].map(String);
    const region = args.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    return ctx.scope({ ...ctx.config(), region }, async (scope) => {
      const [ecs, logs] = await Promise.all([scope.ecs(), scope.logs()]);
      return runDispatch({ ...args, command }, { ecs, logs, cloudformation: () => scope.cloudformation(), log: ctx.log, signal: ctx.signal, stdout: process.stdout, stderr: process.stderr });
    });
  }),
};
