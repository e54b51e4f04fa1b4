import {
  DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, RunTaskCommand, StopTaskCommand,
  type RunTaskCommandInput, type Task,
} from '@aws-sdk/client-ecs';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { setTimeout as delay } from 'node:timers/promises';
import { EXIT, RunnerError } from '../errors.js';
import type { Logger } from '../log.js';
import { awslogsStreamName, createLogTail, type LogTail } from './logs.js';
import { clientSettings, type ClientConfig, type ClientOptions } from './clients.js';

export function createEcsClient(config: ClientConfig, options: ClientOptions = {}): ECSClient {
  return new ECSClient(clientSettings(config, options));
}

export type Capacity = 'FARGATE' | 'FARGATE_SPOT';

export interface DispatchPlan {
  cluster: string;
  taskDefinition: string;          // family, family:revision or ARN
  container: string;
  subnets: string[];
  securityGroups: string[];
  assignPublicIp: boolean;
  capacity: Capacity;
  command: string[];               // passed to the container exactly, one element per argument
  startedBy: string;
  tags: Record<string, string>;
  clientToken: string;             // same token on a retried RunTask → the same task, not a second one
  enableExecuteCommand: boolean;
  logGroup?: string;               // default: the task definition's awslogs-group
  logStreamPrefix?: string;        // default: its awslogs-stream-prefix
  /** 'stopped': follow to the exit code; 'running': return once RUNNING (ECS Exec); 'none': return after RunTask. */
  waitFor: 'stopped' | 'running' | 'none';
  timeoutMs?: number;              // then StopTask; unset: wait as long as the task runs
}

export interface DispatchDeps {
  ecs: ECSClient;
  logs: CloudWatchLogsClient;
  log: Logger;
  output(line: string): void;                       // the container's log lines
  progress?(status: string | undefined): void;      // a status line while waiting; undefined clears it
  signal?: AbortSignal;                             // aborted (Ctrl-C) → StopTask, then report how it ended
  sleep?(ms: number, signal?: AbortSignal): Promise<void>;
  now?(): number;
  pollIntervalMs?: number;
}

export interface DispatchResult {
  exitCode: number;
  taskArn?: string;
  taskId?: string;
  lastStatus?: string;
  /** Why it did not start or was stopped: RunTask failures, stopCode, stoppedReason, container reason. */
  reason?: string;
}

export const taskIdOf = (taskArn: string) => taskArn.slice(taskArn.lastIndexOf('/') + 1);

const wake = (ms: number, signal?: AbortSignal) => delay(ms, undefined, { signal }).catch(() => undefined);

/** The RunTask request for a plan: kept pure so the exact override can be checked. */
export function runTaskInput(plan: DispatchPlan, taskDefinitionArn: string): RunTaskCommandInput {
  return {
    cluster: plan.cluster,
    taskDefinition: taskDefinitionArn,
    count: 1,
    ...(plan.capacity === 'FARGATE_SPOT'
      ? { capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] }
      : { launchType: 'FARGATE' as const }),
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: plan.subnets,
        securityGroups: plan.securityGroups,
        assignPublicIp: plan.assignPublicIp ? 'ENABLED' : 'DISABLED',
      },
    },
    overrides: { containerOverrides: [{ name: plan.container, command: [...plan.command] }] },
    startedBy: plan.startedBy,
    tags: Object.entries(plan.tags).map(([key, value]) => ({ key, value })),
    enableECSManagedTags: true,
    enableExecuteCommand: plan.enableExecuteCommand,
    clientToken: plan.clientToken,
  };
}

/** One DescribeTaskDefinition: pins the revision and finds where the container's logs go. */
export async function describeTaskDefinition(ecs: ECSClient, taskDefinition: string, container: string) {
  const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })).catch((err: Error) => {
    if (err.name === 'ClientException') throw new RunnerError('CONFIG', `task definition "${taskDefinition}": ${err.message}`, { cause: err });
    throw err;
  });
  const definition = out.taskDefinition;
  const containers = definition?.containerDefinitions ?? [];
  const found = containers.find((c) => c.name === container);
  if (!definition?.taskDefinitionArn || !found) {
    const names = containers.map((c) => c.name).join(', ') || 'none';
    throw new RunnerError('CONFIG', `task definition "${taskDefinition}" has no container "${container}" (it has: ${names}); set --container / ECS_CONTAINER`);
  }
  const options = found.logConfiguration?.logDriver === 'awslogs' ? found.logConfiguration.options ?? {} : {};
  return { arn: definition.taskDefinitionArn, logGroup: options['awslogs-group'], logStreamPrefix: options['awslogs-stream-prefix'] };
}

/** The container's exit code, or 125 with every reason ECS gave when it never ran. */
export function outcomeOf(task: Task, container: string, stopRequested: boolean): DispatchResult {
  const taskArn = task.taskArn ?? '';
  const ran = task.containers?.find((c) => c.name === container);
  const reasons = [task.stopCode, task.stoppedReason, ran?.reason].filter(Boolean).join(': ');
  const base = { taskArn, taskId: taskIdOf(taskArn), lastStatus: task.lastStatus, ...(reasons ? { reason: reasons } : {}) };
  if (typeof ran?.exitCode === 'number') return { ...base, exitCode: ran.exitCode };
  return { ...base, exitCode: stopRequested && task.stopCode !== 'TaskFailedToStart' ? EXIT.SIGTERM : EXIT.NOT_STARTED };
}

function execAgentReady(task: Task, container: string): boolean {
  const agent = task.containers?.find((c) => c.name === container)?.managedAgents?.find((a) => a.name === 'ExecuteCommandAgent');
  return !agent || agent.lastStatus === 'RUNNING';
}

/**
 * RunTask, then follow the task with our own polling loop until it is RUNNING or STOPPED,
 * streaming its CloudWatch log stream from the first event as it goes.
 */
export async function dispatchTask(plan: DispatchPlan, deps: DispatchDeps): Promise<DispatchResult> {
  const { ecs, log } = deps;
  const sleep = deps.sleep ?? wake;
  const now = deps.now ?? Date.now;
  const interval = deps.pollIntervalMs ?? 3_000;

  const definition = await describeTaskDefinition(ecs, plan.taskDefinition, plan.container);
  const started = await ecs.send(new RunTaskCommand(runTaskInput(plan, definition.arn)));
  const task = started.tasks?.[0];
  if (started.failures?.length || !task?.taskArn) {
    const reason = (started.failures ?? []).map((f) => [f.reason, f.detail, f.arn].filter(Boolean).join(' ')).join('; ') || 'RunTask returned no task';
    return { exitCode: EXIT.NOT_STARTED, reason };
  }
  const taskArn = task.taskArn;
  const taskId = taskIdOf(taskArn);
  log.info({ taskArn, taskDefinition: definition.arn, command: plan.command }, 'task started');
  if (plan.waitFor === 'none') return { exitCode: 0, taskArn, taskId, lastStatus: task.lastStatus };

  const group = plan.logGroup ?? definition.logGroup;
  const prefix = plan.logStreamPrefix ?? definition.logStreamPrefix;
  const tail: LogTail | undefined = group && prefix
    ? createLogTail({ logs: deps.logs, group, stream: awslogsStreamName(prefix, plan.container, taskId), log, write: deps.output })
    : undefined;
  if (!tail) log.warn({ taskDefinition: definition.arn }, 'no awslogs group/stream prefix: the task log will not be shown');

  const deadline = plan.timeoutMs ? now() + plan.timeoutMs : Infinity;
  const startedAt = now();
  let stopRequested = false;
  const stop = async (reason: string) => {
    stopRequested = true;
    log.warn({ taskArn, reason }, 'stopping the task');
    await ecs.send(new StopTaskCommand({ cluster: plan.cluster, task: taskArn, reason }));
  };

  for (;;) {
    const described = await ecs.send(new DescribeTasksCommand({ cluster: plan.cluster, tasks: [taskArn] }));
    const current = described.tasks?.[0];
    if (tail) await tail.poll();
    const status = current?.lastStatus ?? 'UNKNOWN';
    deps.progress?.(`task ${taskId}: ${status} ${Math.round((now() - startedAt) / 1000)}s`);
    if (current && status === 'STOPPED') {
      deps.progress?.(undefined);
      if (tail) await tail.drain((ms) => sleep(ms), Math.min(interval, 2_000));
      return outcomeOf(current, plan.container, stopRequested);
    }
    if (current && plan.waitFor === 'running' && status === 'RUNNING' && execAgentReady(current, plan.container)) {
      deps.progress?.(undefined);
      return { exitCode: 0, taskArn, taskId, lastStatus: status };
    }
    if (!stopRequested && deps.signal?.aborted) await stop('interrupted by the operator (pit-runner dispatch)');
    else if (!stopRequested && now() >= deadline) await stop(`pit-runner dispatch --timeout reached after ${Math.round(plan.timeoutMs! / 1000)}s`);
    await sleep(interval, stopRequested ? undefined : deps.signal);
  }
}
