import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import cdkNag from 'cdk-nag';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { PitRunnerStack } from '../infra/lib/stack.js';
import { renderStackTemplate } from '../infra/lib/templates.js';
import { STACK_OUTPUTS } from '../src/aws/stack-outputs.js';
import { defaultConfig } from '../src/config.js';

type Doc = Record<string, any>; // synthesized CloudFormation, read loosely

const infra = suite('infra-stack');
const root = fileURLToPath(new URL('..', import.meta.url));

// One synthesis for the suite: the stack as `cdk deploy` makes it with every optional part on (CI role included).
const app = new App();
const stack = new PitRunnerStack(app, 'pit', { githubRepository: 'school/pit-runner', env: { account: '111122223333', region: 'eu-west-1' } });
const template = Template.fromStack(stack);
const json = template.toJSON() as Doc;
const resources = (type: string) => Object.entries(json.Resources as Record<string, Doc>).filter(([, r]) => r.Type === type);
const only = (type: string, match: (r: Doc) => boolean = () => true) => {
  const found = resources(type).filter(([, r]) => match(r));
  assert.is(found.length, 1, `one ${type}`);
  return found[0]![1].Properties as Doc;
};
const ref = (logicalIdPrefix: string) => Object.keys(json.Resources).find((id) => id.startsWith(logicalIdPrefix))!;
const policies = () => [
  ...resources('AWS::IAM::Role').flatMap(([id, r]) => (r.Properties.Policies ?? []).map((p: Doc) => [id, p.PolicyDocument] as const)),
  ...resources('AWS::IAM::ManagedPolicy').map(([id, r]) => [id, r.Properties.PolicyDocument] as const),
  ...resources('AWS::IAM::Policy').map(([id, r]) => [id, r.Properties.PolicyDocument] as const),
];

infra('the queue redrives to its dead-letter queue, and hides a message for a whole submission deadline', () => {
  const { timeoutMs, submissionGraceMs } = defaultConfig();
  const queue = only('AWS::SQS::Queue', (r) => r.Properties.RedrivePolicy);
  assert.equal(queue.RedrivePolicy, { deadLetterTargetArn: { 'Fn::GetAtt': [ref('DeadLetterQueue'), 'Arn'] }, maxReceiveCount: 5 });
  assert.is(queue.VisibilityTimeout, (timeoutMs + submissionGraceMs) / 1000);
  for (const [, q] of resources('AWS::SQS::Queue')) assert.is(q.Properties.SqsManagedSseEnabled, true);
  const dlq = only('AWS::SQS::Queue', (r) => !r.Properties.RedrivePolicy);
  assert.is(dlq.MessageRetentionPeriod, 14 * 24 * 3600);
  // TLS only on both queues
  template.resourcePropertiesCountIs('AWS::SQS::QueuePolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) } }, 2);
});

infra('the bucket is encrypted, private, TLS only, and expires run logs', () => {
  const bucket = only('AWS::S3::Bucket');
  assert.ok(bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm);
  assert.equal(bucket.PublicAccessBlockConfiguration, { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
  assert.ok(bucket.LifecycleConfiguration.Rules.some((r: Doc) => r.Prefix === 'logs/' && r.ExpirationInDays > 0));
  template.hasResourceProperties('AWS::S3::BucketPolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) } });
});

infra('the runner task definition is the template: Fargate, init process, stop timeout, logs, no secret in the environment', () => {
  const definition = only('AWS::ECS::TaskDefinition', (r) => r.Properties.Family === 'pit');
  const [runner, ...others] = definition.ContainerDefinitions as Doc[];
  assert.is(others.length, 0);
  assert.equal(definition.RequiresCompatibilities, ['FARGATE']);
  assert.is(runner!.LinuxParameters.InitProcessEnabled, true);
  assert.is(runner!.StopTimeout, renderStackTemplate('runner.json', placeholders).containerDefinitions[0].stopTimeout);
  assert.is(runner!.LogConfiguration.LogDriver, 'awslogs');
  assert.equal(runner!.LogConfiguration.Options['awslogs-group'], { Ref: ref('TaskLogs') });
  // The database this stack creates: the runner resolves its secret itself, by id; no secret value in the definition.
  assert.is(runner!.Secrets, undefined);
  const names = (runner!.Environment as Doc[]).map((e) => e.Name);
  for (const name of ['AWS_REGION', 'AWS_S3_BUCKET', 'AWS_SQS_QUEUE_URL', 'RUNNER_TIMEOUT_MS', 'DATABASE_SECRET_ID']) assert.ok(names.includes(name), name);
  assert.not.ok(names.some((n) => /DATABASE_URL|PASSWORD/.test(n)));
  assert.is(definition.ExecutionRoleArn['Fn::Join'][1].at(-1).Ref, 'ExecutionRole');
  assert.is(definition.TaskRoleArn['Fn::Join'][1].at(-1).Ref, 'TaskRole');
  // Operators' commands run a family of their own, on an image tag of their own (migrate before an upgrade).
  const admin = only('AWS::ECS::TaskDefinition', (r) => r.Properties.Family === 'pit-admin');
  assert.ok(JSON.stringify(admin.ContainerDefinitions[0].Image).includes('"Ref":"AdminImageTag"'));
  assert.ok(JSON.stringify(runner!.Image).includes('"Ref":"ImageTag"'));
});

infra('the schedule runs drain-queue and the pipe runs process with the body\'s submission id, on the runner family, in private subnets', () => {
  const schedule = only('AWS::Scheduler::Schedule');
  assert.is(schedule.State, 'ENABLED');
  assert.equal(JSON.parse(schedule.Target.Input).containerOverrides[0].command.slice(0, 1), ['drain-queue']);
  const pipe = only('AWS::Pipes::Pipe');
  assert.is(pipe.DesiredState, 'STOPPED', 'one consumer per queue: the schedule by default');
  const ecs = pipe.TargetParameters.EcsTaskParameters;
  assert.equal(ecs.Overrides.ContainerOverrides, [{ Name: 'runner', Command: ['process', '--submission-id', '$.body.submissionId'] }]);
  assert.is(pipe.SourceParameters.SqsQueueParameters.BatchSize, 1);
  for (const target of [schedule.Target.EcsParameters, ecs]) {
    assert.equal(target.TaskDefinitionArn, { Ref: 'RunnerTaskDefinition' });
    assert.is(target.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, 'DISABLED');
    assert.is(target.NetworkConfiguration.AwsvpcConfiguration.Subnets.length, 2);
  }
  assert.ok(JSON.stringify(pipe.Source).includes(ref('SubmissionQueue')));
});

infra('a failed task alerts through SNS; the dashboard shows depth, age, gradings and failures', () => {
  const rule = only('AWS::Events::Rule');
  assert.equal(rule.EventPattern.detail.group, ['family:pit']);
  assert.ok(JSON.stringify(rule.Targets[0].Arn).includes(ref('Alerts')));
  // the topic's policy replaces SNS's default one: the rule and the dead-letter alarm are each named in it
  for (const service of ['events.amazonaws.com', 'cloudwatch.amazonaws.com']) {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Principal: { Service: service }, Condition: { ArnEquals: { 'aws:SourceArn': Match.anyValue() } } })]) } });
  }
  template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, AlarmActions: [{ Ref: ref('Alerts') }] });
  assert.ok(only('AWS::SNS::Topic').KmsMasterKeyId);
  const body = JSON.stringify(only('AWS::CloudWatch::Dashboard').DashboardBody);
  for (const metric of ['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage', 'Gradings', 'Failures']) assert.ok(body.includes(metric), metric);
  const filters = resources('AWS::Logs::MetricFilter').map(([, r]) => r.Properties.FilterPattern as string);
  assert.ok(filters.some((f) => f.includes('published') && f.includes('ERROR')));
});

infra('the network has no route out; the runner\'s services are reached through VPC endpoints', () => {
  for (const type of ['AWS::EC2::InternetGateway', 'AWS::EC2::NatGateway']) assert.is(resources(type).length, 0, type);
  const endpoints = resources('AWS::EC2::VPCEndpoint').map(([, r]) => JSON.stringify(r.Properties.ServiceName));
  for (const service of ['.s3', '.sqs', '.secretsmanager', '.ecr.api', '.ecr.dkr', '.logs']) assert.ok(endpoints.some((e) => e.includes(service)), service);
  const group = resources('AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('TaskSecurityGroup'))![1].Properties;
  assert.equal(group.SecurityGroupEgress.map((e: Doc) => e.ToPort), [443]);
  assert.not.ok(group.SecurityGroupIngress);
  assert.is(only('AWS::RDS::DBInstance').StorageEncrypted, true);
  // RDS demands TLS: the secret the runner builds its URL from says so
  assert.is(JSON.parse(only('AWS::SecretsManager::Secret').GenerateSecretString.SecretStringTemplate).sslmode, 'require');
});

infra('no IAM statement grants a wildcard action, or * on a data service', () => {
  const noResourceLevel = /^(ecr:GetAuthorizationToken|ecs:(RegisterTaskDefinition|DescribeTaskDefinition)|ssmmessages:\w+)$/;
  const dataServices = /^(s3|sqs|secretsmanager|rds|kms|logs|sns):/;
  for (const [id, document] of policies()) {
    for (const statement of document.Statement as Doc[]) {
      const actions: string[] = [statement.Action].flat();
      const resourcesOf: unknown[] = [statement.Resource].flat();
      assert.ok(actions.every((a) => !a.includes('*')), `${id}: wildcard action ${actions}`);
      if (resourcesOf.includes('*')) assert.ok(actions.every((a) => noResourceLevel.test(a)), `${id}: ${actions} on *`);
      if (actions.some((a) => dataServices.test(a))) assert.not.ok(resourcesOf.includes('*'), `${id}: data on *`);
    }
  }
});

infra('PassRole names only the task and execution roles, and only to ECS tasks (or the launchers to their services)', () => {
  const passes = policies().flatMap(([id, d]) => (d.Statement as Doc[]).filter((s) => [s.Action].flat().includes('iam:PassRole')).map((s) => [id, s] as const));
  assert.ok(passes.length >= 3);
  for (const [id, statement] of passes) {
    const roles = (statement.Resource as Doc[]).map((r) => r['Fn::Join'][1].at(-1).Ref).sort();
    const services = [statement.Condition.StringEquals['iam:PassedToService']].flat();
    if (services.includes('ecs-tasks.amazonaws.com')) assert.equal(roles, ['ExecutionRole', 'TaskRole'], id);
    else assert.equal(roles, ['PipeRole', 'SchedulerRole'], id);
  }
});

infra('CI assumes its role through GitHub OIDC, for the deploy branch of one repository', () => {
  const ci = only('AWS::IAM::Role', (r) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('token.actions'));
  const [trust] = ci.AssumeRolePolicyDocument.Statement;
  assert.is(trust.Action, 'sts:AssumeRoleWithWebIdentity');
  assert.is(trust.Condition.StringEquals['token.actions.githubusercontent.com:sub'], 'repo:school/pit-runner:ref:refs/heads/main');
  only('AWS::IAM::OIDCProvider');
});

infra('the outputs dispatch --stack reads are there: the admin family, the subnets, the security group', () => {
  for (const key of Object.values(STACK_OUTPUTS)) assert.ok(json.Outputs[key], key);
  assert.equal(json.Outputs[STACK_OUTPUTS.taskDefinition].Value, { Ref: 'AdminTaskDefinition' });
  assert.equal(json.Outputs[STACK_OUTPUTS.securityGroups].Value, { 'Fn::GetAtt': [ref('TaskSecurityGroup'), 'GroupId'] });
});

infra('cdk-nag AwsSolutions: no finding left unexplained', () => {
  const report = new cdkNag.AwsSolutionsChecks(app).validateScope(stack);
  assert.equal(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath)}`), []);
  // and acknowledgements carry a reason
  const acknowledged = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').map((m) => m.data as Doc));
  assert.ok(acknowledged.length > 0);
  for (const entry of acknowledged) for (const [rule, value] of Object.entries(entry)) assert.ok(JSON.stringify(value).length > 40, `${rule}: no reason`);
});

infra('an existing VPC and database URL secret are used as given, and the secret is injected by valueFrom', () => {
  const small = new App();
  const existing = new PitRunnerStack(small, 'byo', {
    existingVpc: { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'] },
    databaseUrlSecretArn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:pit/url-AbCdEf',
    imageRepositoryUri: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/pit-runner',
    consumer: 'pipe',
  });
  const t = Template.fromStack(existing).toJSON() as Doc;
  const types = Object.values(t.Resources as Record<string, Doc>).map((r) => r.Type);
  for (const type of ['AWS::EC2::VPC', 'AWS::RDS::DBInstance', 'AWS::ECR::Repository', 'AWS::IAM::OIDCProvider']) assert.not.ok(types.includes(type), type);
  const runner = Object.values(t.Resources as Record<string, Doc>).find((r) => r.Properties?.Family === 'byo')!.Properties.ContainerDefinitions[0];
  assert.equal(runner.Secrets, [{ Name: 'DATABASE_URL', ValueFrom: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:pit/url-AbCdEf' }]);
  const pipe = Object.values(t.Resources as Record<string, Doc>).find((r) => r.Type === 'AWS::Pipes::Pipe')!.Properties;
  assert.is(pipe.DesiredState, 'RUNNING');
  assert.equal(pipe.TargetParameters.EcsTaskParameters.NetworkConfiguration.AwsvpcConfiguration.Subnets, ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210']);
  assert.is(Stack.of(existing).stackName, 'byo');
});

infra('the app refuses bad context with every problem listed, exit 2, before synthesizing', async () => {
  const context = JSON.stringify({ consumer: 'both', vpcId: 'vpc-0123456789abcdef0', runLogDays: 'forever' });
  const result = await execa('node', ['--import', 'tsx', 'infra/bin/app.ts'], { cwd: root, env: { CDK_CONTEXT_JSON: context, CDK_OUTDIR: '/nonexistent/out' }, reject: false });
  assert.is(result.exitCode, 2, result.stderr);
  for (const problem of ['vpcId and subnetIds', 'consumer', 'runLogDays']) assert.match(result.stderr, problem);
});

const placeholders: Record<string, string> = Object.fromEntries(
  ['AWS_REGION', 'AWS_ACCOUNT_ID', 'IMAGE_REPOSITORY_URI', 'GIT_SHA', 'S3_BUCKET', 'SQS_QUEUE_NAME', 'DATABASE_SECRET_ARN'].map((name) => [name, name.toLowerCase()]),
);

infra.run();
