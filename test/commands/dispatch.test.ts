import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, RunTaskCommand, StopTaskCommand, type Task,
} from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { runDispatch, type DispatchArgs, type DispatchCommandDeps } from '../../src/commands/dispatch.js';
import { RunnerError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';

const dispatch = suite('dispatch');

const TASK_DEF = 'arn:aws:ecs:eu-west-1:111122223333:task-definition/pit-runner:7';
const TASK_ARN = 'arn:aws:ecs:eu-west-1:111122223333:task/pit/0a1b2c3d4e';
const env = { ECS_CLUSTER: 'pit', ECS_TASK_FAMILY: 'pit-runner', ECS_SUBNETS: 'subnet-1, subnet-2', ECS_SECURITY_GROUP: 'sg-1', GIT_SHA: 'abc123' };
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

function sink(isTTY = false) {
  const chunks: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { chunks.push(String(chunk)); done(); } });
  return Object.assign(stream, { isTTY, text: () => chunks.join('') });
}

const stopped = (fields: Partial<Task> & { exitCode?: number; reason?: string }): Task => ({
  taskArn: TASK_ARN, lastStatus: 'STOPPED', stopCode: fields.stopCode, stoppedReason: fields.stoppedReason,
  containers: [{ name: 'runner', exitCode: fields.exitCode, reason: fields.reason }],
});

function setup(finalTask: Task = stopped({ exitCode: 0, stopCode: 'EssentialContainerExited' })) {
  const ecs = new ECSClient({ region: 'eu-west-1', credentials });
  const logs = new CloudWatchLogsClient({ region: 'eu-west-1', credentials });
  const ecsMock = mockClient(ecs);
  const logsMock = mockClient(logs);
  ecsMock.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: TASK_DEF, containerDefinitions: [
    { name: 'runner', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/pit-runner', 'awslogs-stream-prefix': 'pit' } } },
  ] } });
  ecsMock.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN, lastStatus: 'PROVISIONING' }], failures: [] });
  ecsMock.on(DescribeTasksCommand)
    .resolvesOnce({ tasks: [{ taskArn: TASK_ARN, lastStatus: 'PENDING' }] })
    .resolvesOnce({ tasks: [{ taskArn: TASK_ARN, lastStatus: 'RUNNING', containers: [{ name: 'runner' }] }] })
    .resolves({ tasks: [finalTask] });
  ecsMock.on(StopTaskCommand).resolves({});
  logsMock.on(GetLogEventsCommand).resolves({ events: [], nextForwardToken: 'f/empty' });
  const stdout = sink();
  const stderr = sink();
  const run = (args: Partial<DispatchArgs> = {}, signal?: AbortSignal, more: Partial<DispatchCommandDeps> = {}) => runDispatch(
    { command: ['migrate'], ...args },
    { ecs, logs, log: silentLogger, stdout, stderr, env, signal, sleep: async () => {}, pollIntervalMs: 0, ...more },
  );
  return { ecsMock, logsMock, stdout, stderr, run };
}

dispatch('passes every argument to the container exactly, spaces and quotes included', async () => {
  const { ecsMock, run } = setup();
  const command = ['process', '--message', '{"submissionId": "a b", "note": "it\'s \\"quoted\\""}', '$HOME', '', '*', '--', 'a\nb'];
  await run({ command });
  const input = ecsMock.commandCalls(RunTaskCommand)[0]!.args[0].input;
  assert.equal(input.overrides?.containerOverrides, [{ name: 'runner', command }]);
  assert.is(input.taskDefinition, TASK_DEF);
  assert.equal(input.networkConfiguration?.awsvpcConfiguration, { subnets: ['subnet-1', 'subnet-2'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' });
  assert.is(input.launchType, 'FARGATE');
  assert.ok(input.clientToken);
  assert.ok(input.tags?.some((t) => t.key === 'pit-runner:git-sha' && t.value === 'abc123'));
});

dispatch('FARGATE_SPOT runs through a capacity provider strategy, not a launch type', async () => {
  const { ecsMock, run } = setup();
  await run({ capacity: 'FARGATE_SPOT' });
  const input = ecsMock.commandCalls(RunTaskCommand)[0]!.args[0].input;
  assert.is(input.launchType, undefined);
  assert.equal(input.capacityProviderStrategy, [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
});

for (const code of [0, 1, 3, 75]) {
  dispatch(`exits with the container's exit code ${code}`, async () => {
    const { run } = setup(stopped({ exitCode: code, stopCode: 'EssentialContainerExited' }));
    assert.is(await run(), code);
  });
}

dispatch('a task that failed to start exits 125 and prints stopCode and stoppedReason', async () => {
  const { run, stderr } = setup(stopped({ stopCode: 'TaskFailedToStart', stoppedReason: 'CannotPullContainerError: pull access denied', reason: 'image not found' }));
  assert.is(await run(), 125);
  assert.match(stderr.text(), 'TaskFailedToStart: CannotPullContainerError: pull access denied: image not found');
});

dispatch('RunTask failures[] exit 125 with the reason', async () => {
  const { ecsMock, run, stderr } = setup();
  ecsMock.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'RESOURCE:ENI', detail: 'no free addresses in subnet-1' }] });
  assert.is(await run(), 125);
  assert.match(stderr.text(), 'RESOURCE:ENI no free addresses in subnet-1');
  assert.is(ecsMock.commandCalls(DescribeTasksCommand).length, 0);
});

dispatch('reads the log stream from the start, every page, until the token repeats', async () => {
  const { logsMock, run, stdout } = setup();
  logsMock.on(GetLogEventsCommand)
    .rejectsOnce(Object.assign(new Error('The specified log stream does not exist.'), { name: 'ResourceNotFoundException' }))
    .resolvesOnce({ events: [{ message: 'one' }, { message: 'two' }], nextForwardToken: 'f/1' })
    .resolvesOnce({ events: [{ message: 'three' }], nextForwardToken: 'f/2' })
    .resolvesOnce({ events: [], nextForwardToken: 'f/2' })
    .resolvesOnce({ events: [{ message: 'four' }], nextForwardToken: 'f/3' })
    .resolves({ events: [], nextForwardToken: 'f/3' });
  assert.is(await run(), 0);
  assert.is(stdout.text(), 'one\ntwo\nthree\nfour\n');
  const calls = logsMock.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input);
  assert.equal(calls[0], { logGroupName: '/ecs/pit-runner', logStreamName: 'pit/runner/0a1b2c3d4e', startFromHead: true, nextToken: undefined });
  assert.is(calls[1]!.nextToken, undefined);
  assert.equal(calls.slice(2, 5).map((c) => c.nextToken), ['f/1', 'f/2', 'f/2']);
  assert.ok(calls.slice(5).every((c) => c.nextToken === 'f/3'));
});

dispatch('Ctrl-C stops the task with a reason and reports how it ended', async () => {
  const { ecsMock, run } = setup();
  const controller = new AbortController();
  ecsMock.on(DescribeTasksCommand).callsFake(() => {
    const calls = ecsMock.commandCalls(DescribeTasksCommand).length;
    if (calls === 2) controller.abort();
    return { tasks: [ecsMock.commandCalls(StopTaskCommand).length && calls > 3 ? stopped({ exitCode: 143, stopCode: 'UserInitiated' }) : { taskArn: TASK_ARN, lastStatus: 'RUNNING' }] };
  });
  assert.is(await run({}, controller.signal), 143);
  const stops = ecsMock.commandCalls(StopTaskCommand);
  assert.is(stops.length, 1);
  assert.equal(stops[0]!.args[0].input.task, TASK_ARN);
  assert.match(stops[0]!.args[0].input.reason ?? '', 'interrupted');
});

dispatch('--timeout stops a task that runs too long', async () => {
  const { ecsMock, run } = setup();
  ecsMock.on(DescribeTasksCommand).callsFake(() => ({
    tasks: [ecsMock.commandCalls(StopTaskCommand).length ? stopped({ exitCode: 143 }) : { taskArn: TASK_ARN, lastStatus: 'RUNNING' }],
  }));
  assert.is(await run({ timeout: '1ms' }), 143);
  assert.match(ecsMock.commandCalls(StopTaskCommand)[0]!.args[0].input.reason ?? '', '--timeout');
});

dispatch('--no-wait prints the task ARN and does not follow the task', async () => {
  const { ecsMock, run, stdout } = setup();
  assert.is(await run({ wait: false }), 0);
  assert.is(stdout.text(), `${TASK_ARN}\n`);
  assert.is(ecsMock.commandCalls(DescribeTasksCommand).length, 0);
});

dispatch('shell enables ECS Exec, holds, and prints the execute-command line once RUNNING', async () => {
  const { ecsMock, run, stdout } = setup();
  assert.is(await run({ command: ['shell'] }), 0);
  const input = ecsMock.commandCalls(RunTaskCommand)[0]!.args[0].input;
  assert.is(input.enableExecuteCommand, true);
  assert.equal(input.overrides?.containerOverrides?.[0]?.command, ['shell', '--hold', '1h']);
  assert.is(stdout.text(), 'aws ecs execute-command --region eu-west-1 --cluster pit --task 0a1b2c3d4e --container runner --interactive --command /bin/sh\n');
});

dispatch('missing settings exit 2 and are listed together', async () => {
  const ecs = new ECSClient({ region: 'eu-west-1', credentials });
  const logs = new CloudWatchLogsClient({ region: 'eu-west-1', credentials });
  const err = await runDispatch({ command: [] }, { ecs, logs, log: silentLogger, stdout: sink(), stderr: sink(), env: { ECS_TASK_FAMILY: 'pit-runner' } }).catch((e) => e);
  assert.instance(err, RunnerError);
  assert.is(err.exitCode, 2);
  for (const name of ['command to run', 'ECS_CLUSTER', 'ECS_SUBNETS', 'ECS_SECURITY_GROUP']) assert.match(err.message, name);
  assert.not.match(err.message, 'ECS_TASK_FAMILY');
});

function stackOutputs(outputs: Record<string, string> | Error) {
  const cloudformation = new CloudFormationClient({ region: 'eu-west-1', credentials });
  const mock = mockClient(cloudformation);
  if (outputs instanceof Error) mock.on(DescribeStacksCommand).rejects(outputs);
  else mock.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'pit', CreationTime: new Date(), StackStatus: 'UPDATE_COMPLETE', Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }] });
  return { mock, cloudformation: async () => cloudformation };
}
const ADMIN_DEF = 'arn:aws:ecs:eu-west-1:111122223333:task-definition/pit-admin:3';
const outputs = { ClusterName: 'pit-stack-cluster', AdminTaskDefinitionArn: ADMIN_DEF, Subnets: 'subnet-s1,subnet-s2', SecurityGroup: 'sg-stack', LogGroup: '/ecs/pit' };

dispatch('--stack takes the cluster, admin task definition, subnets and security group from the stack\'s outputs, over the environment', async () => {
  const { ecsMock, run } = setup();
  const stack = stackOutputs(outputs);
  assert.is(await run({ stack: 'pit' }, undefined, { cloudformation: stack.cloudformation }), 0);
  assert.is(stack.mock.commandCalls(DescribeStacksCommand)[0]!.args[0].input.StackName, 'pit');
  assert.is(ecsMock.commandCalls(DescribeTaskDefinitionCommand)[0]!.args[0].input.taskDefinition, ADMIN_DEF);
  const input = ecsMock.commandCalls(RunTaskCommand)[0]!.args[0].input;
  assert.is(input.cluster, 'pit-stack-cluster');
  assert.equal(input.networkConfiguration?.awsvpcConfiguration, { subnets: ['subnet-s1', 'subnet-s2'], securityGroups: ['sg-stack'], assignPublicIp: 'DISABLED' });
});

dispatch('--stack: a flag still wins over the stack\'s output', async () => {
  const { ecsMock, run } = setup();
  await run({ stack: 'pit', cluster: 'by-flag', subnets: 'subnet-f' }, undefined, { cloudformation: stackOutputs(outputs).cloudformation });
  const input = ecsMock.commandCalls(RunTaskCommand)[0]!.args[0].input;
  assert.is(input.cluster, 'by-flag');
  assert.equal(input.networkConfiguration?.awsvpcConfiguration?.subnets, ['subnet-f']);
});

dispatch('--stack: an unknown stack, or one without the outputs, is a configuration error and starts nothing', async () => {
  const missing = Object.assign(new Error('Stack with id nope does not exist'), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
  for (const [given, message] of [[missing, /no stack named nope/], [{ ClusterName: 'c' }, /AdminTaskDefinitionArn, Subnets, SecurityGroup/]] as const) {
    const { ecsMock, run } = setup();
    const err = await run({ stack: 'nope' }, undefined, { cloudformation: stackOutputs(given as Record<string, string> | Error).cloudformation }).catch((e) => e);
    assert.instance(err, RunnerError);
    assert.is((err as RunnerError).exitCode, 2);
    assert.match((err as RunnerError).message, message);
    assert.is(ecsMock.commandCalls(RunTaskCommand).length, 0);
  }
});

dispatch.run();

// Through the command line: yargs must hand every argument after `--` to RunTask untouched, and the exit
// code must be the container's. ECS and CloudWatch Logs are a local HTTP server speaking their JSON protocol.
const cli = suite('dispatch cli');

cli('argv after -- reaches RunTask byte for byte and the exit code comes back', async () => {
  const { createServer } = await import('node:http');
  const { execa } = await import('execa');
  const runTasks: Array<{ overrides: { containerOverrides: Array<{ command: string[] }> } }> = [];
  const answers: Record<string, (body: Record<string, unknown>) => unknown> = {
    DescribeTaskDefinition: () => ({ taskDefinition: { taskDefinitionArn: TASK_DEF, containerDefinitions: [
      { name: 'runner', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-stream-prefix': 'p' } } },
    ] } }),
    RunTask: (body) => { runTasks.push(body as never); return { tasks: [{ taskArn: TASK_ARN, lastStatus: 'PROVISIONING' }], failures: [] }; },
    DescribeTasks: () => ({ tasks: [stopped({ exitCode: 3, stopCode: 'EssentialContainerExited' })] }),
    GetLogEvents: (body) => (body.nextToken ? { events: [], nextForwardToken: 'f/1' } : { events: [{ timestamp: 1, message: 'pending: 0001_init.sql' }], nextForwardToken: 'f/1' }),
  };
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => { text += chunk; });
    req.on('end', () => {
      const action = String(req.headers['x-amz-target']).split('.').pop()!;
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      res.end(JSON.stringify(answers[action]!(JSON.parse(text || '{}'))));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const command = ['migrate', 'status', '--pit', 'a b', '0012', '"quoted"', "it's", '--', '--x=1'];
  try {
    const result = await execa('node', ['bin/pit-runner.js', 'dispatch', '--', ...command], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      reject: false,
      env: {
        ...env, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
        AWS_ENDPOINT_URL_ECS: endpoint, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: endpoint, LOG_LEVEL: 'warn',
      },
    });
    assert.is(result.exitCode, 3, result.stderr);
    assert.equal(runTasks[0]!.overrides.containerOverrides[0]!.command, command);
    assert.is(result.stdout, 'pending: 0001_init.sql');
  } finally {
    server.close();
  }
});

cli.run();
