import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { glob } from 'tinyglobby';
import { renderFile, renderTemplate } from '../scripts/render-task-definition.js';
import { RunnerError } from '../src/errors.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const taskDefinitions = suite('task-definitions');

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:pit-runner/database-AbCdEf';
const env: NodeJS.ProcessEnv = {
  AWS_ACCOUNT_ID: '111122223333', AWS_REGION: 'eu-west-1', ECS_CLUSTER: 'pit', ECS_SUBNETS: 'subnet-a, subnet-b',
  ECS_SECURITY_GROUP: 'sg-1', IMAGE_REPOSITORY_URI: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/pit-runner',
  GIT_SHA: '0123456789abcdef0123456789abcdef01234567', S3_BUCKET: 'pit-submissions', SQS_QUEUE_NAME: 'pit-submissions',
  DATABASE_SECRET_ARN: SECRET_ARN, TASK_DEFINITION_ARN: 'arn:aws:ecs:eu-west-1:111122223333:task-definition/pit-runner:12',
  GITHUB_REPOSITORY: 'school/pit-runner',
};

type Doc = Record<string, any>; // rendered JSON, read loosely
const render = async (file: string) => JSON.parse(await renderFile(`${root}task-definitions/${file}`, env)) as Doc;
const templates = () => glob('task-definitions/**/*.json', { cwd: root });

taskDefinitions('every template renders to valid JSON with no placeholder or password left', async () => {
  const files = await templates();
  assert.ok(files.length >= 15, `found ${files.length} templates`);
  for (const file of files) {
    const text = await renderFile(`${root}${file}`, env);
    assert.not.match(text, '${', `${file} kept a placeholder`);
    assert.not.match(text, /password|postgres(ql)?:\/\//i, `${file} mentions a password`);
    JSON.parse(text);
  }
});

taskDefinitions('the runner task definition keeps its invariants', async () => {
  const def = await render('runner.json');
  const [runner, ...others] = def.containerDefinitions;
  assert.is(others.length, 0);
  assert.is(runner.name, 'runner');
  assert.equal(def.requiresCompatibilities, ['FARGATE']);
  assert.is(def.networkMode, 'awsvpc');
  assert.is(runner.image, `${env.IMAGE_REPOSITORY_URI}:${env.GIT_SHA}`);
  assert.is(runner.stopTimeout, 120);
  assert.is(runner.linuxParameters.initProcessEnabled, true);
  assert.equal(runner.secrets, [{ name: 'DATABASE_URL', valueFrom: SECRET_ARN }]);
  assert.not.ok(runner.environment.some((e: Doc) => /DATABASE_URL|PASSWORD|SECRET/.test(e.name)));
  assert.is(runner.logConfiguration.logDriver, 'awslogs');
  assert.ok(runner.logConfiguration.options['awslogs-stream-prefix']);
  assert.ok(Number.isInteger(def.ephemeralStorage.sizeInGiB) && def.ephemeralStorage.sizeInGiB >= 21);
  assert.ok(Number(def.memory) >= 2048 && Number(def.cpu) >= 1024);
});

taskDefinitions('the schedule runs drain-queue through a TaskOverride input in private subnets', async () => {
  const schedule = await render('drain-queue-schedule.json');
  const input = JSON.parse(schedule.Target.Input);
  assert.is(input.containerOverrides[0].name, 'runner');
  assert.is(input.containerOverrides[0].command[0], 'drain-queue');
  const vpc = schedule.Target.EcsParameters.NetworkConfiguration.awsvpcConfiguration;
  assert.equal(vpc, { Subnets: ['subnet-a', 'subnet-b'], SecurityGroups: ['sg-1'], AssignPublicIp: 'DISABLED' });
  assert.is(schedule.Target.EcsParameters.TaskDefinitionArn, env.TASK_DEFINITION_ARN);
});

taskDefinitions('the pipe starts one process task per message with the submission id from the body', async () => {
  const pipe = await render('submission-pipe.json');
  assert.is(pipe.SourceParameters.SqsQueueParameters.BatchSize, 1);
  const ecs = pipe.TargetParameters.EcsTaskParameters;
  assert.equal(ecs.Overrides.ContainerOverrides, [{ Name: 'runner', Command: ['process', '--submission-id', '$.body.submissionId'] }]);
  assert.is(ecs.NetworkConfiguration.awsvpcConfiguration.AssignPublicIp, 'DISABLED');
});

taskDefinitions('the alert rule matches a non-zero exit or a failed start of this family only', async () => {
  const pattern = JSON.parse((await render('task-state-change-rule.json')).EventPattern);
  assert.equal(pattern['detail-type'], ['ECS Task State Change']);
  assert.equal(pattern.detail.group, ['family:pit-runner']);
  assert.equal(pattern.detail.$or, [
    { stopCode: ['TaskFailedToStart'] },
    { containers: { name: ['runner'], exitCode: [{ 'anything-but': 0 }] } },
  ]);
});

taskDefinitions('IAM policies grant no wildcard actions and pass roles only to named services', async () => {
  const noResourceLevel = new Set(['ecr:GetAuthorizationToken', 'ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition', 'ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel']);
  for (const file of (await templates()).filter((f) => f.includes('/iam/') && !f.endsWith('-trust.json'))) {
    const policy = JSON.parse(await renderFile(`${root}${file}`, env)) as Doc;
    for (const statement of policy.Statement as Doc[]) {
      const actions: string[] = [statement.Action].flat();
      assert.ok(actions.every((a) => !a.includes('*')), `${file}: wildcard action`);
      if ([statement.Resource].flat().includes('*')) assert.ok(actions.every((a) => noResourceLevel.has(a)), `${file}: ${actions} on *`);
      if (actions.includes('iam:PassRole')) assert.ok(statement.Condition?.StringEquals?.['iam:PassedToService'], `${file}: PassRole without PassedToService`);
    }
  }
  const ci = await render('iam/ci-role-trust.json');
  assert.is(ci.Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub'], 'repo:school/pit-runner:ref:refs/heads/main');
});

taskDefinitions('an unset variable is refused, every one listed', async () => {
  const template = JSON.parse(await readFile(`${root}task-definitions/runner.json`, 'utf8'));
  const err = (() => { try { renderTemplate(template, { ...env, AWS_ACCOUNT_ID: '', S3_BUCKET: undefined }); } catch (e) { return e; } })();
  assert.instance(err, RunnerError);
  assert.is((err as RunnerError).exitCode, 2);
  assert.match((err as RunnerError).message, /AWS_ACCOUNT_ID[\s\S]*S3_BUCKET/);
  assert.throws(() => renderTemplate({ size: '${N|int}' }, { N: '40GB' }), /not a whole number/);
});

taskDefinitions('the render script prints JSON, or exits 2 naming what is missing', async () => {
  const script = `${root}scripts/render-task-definition.ts`;
  const ok = await execa('node', ['--import', 'tsx', script, 'task-definitions/iam/ci-role-trust.json'], { cwd: root, env, extendEnv: false, reject: false });
  assert.is(ok.exitCode, 0, ok.stderr);
  JSON.parse(ok.stdout);
  const missing = await execa('node', ['--import', 'tsx', script, 'task-definitions/runner.json'], { cwd: root, env: { PATH: process.env.PATH }, extendEnv: false, reject: false });
  assert.is(missing.exitCode, 2);
  assert.match(missing.stderr, 'DATABASE_SECRET_ARN');
});

taskDefinitions.run();
