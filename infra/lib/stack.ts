import { Aws, CfnOutput, CfnParameter, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { defaultConfig } from '../../src/config.js';
import { createDatabase } from './database.js';
import { createLaunchers, createTaskFailedRule, type Consumer } from './launchers.js';
import { createNetwork, type ExistingVpc } from './network.js';
import { acceptStackFindings, acceptTemplateWildcards } from './nag.js';
import { allowToPublish, createAlertTopic, createDashboard } from './observability.js';
import { templateRole } from './roles.js';
import { renderStackTemplate, type Doc } from './templates.js';

export interface PitRunnerStackProps extends StackProps {
  /** `<registry>/<name>` of an existing image repository; default: an ECR repository this stack creates. */
  readonly imageRepositoryUri?: string;
  /** Use this VPC and these private subnets instead of creating an isolated VPC with endpoints. */
  readonly existingVpc?: ExistingVpc;
  /** An existing Secrets Manager secret holding a postgres:// URL; default: a PostgreSQL instance this stack creates. */
  readonly databaseUrlSecretArn?: string;
  /** `owner/name` on GitHub: creates the CI role its deploy workflow assumes through OIDC. */
  readonly githubRepository?: string;
  readonly deployBranch?: string;
  /** false when the account already has GitHub's OIDC provider (there can be only one). */
  readonly createGithubOidcProvider?: boolean;
  readonly consumer?: Consumer;
  readonly alertEmail?: string;
  /** Days run logs (`logs/` in the bucket) are kept. */
  readonly runLogDays?: number;
}

const CONTAINER_LOG_DAYS = logs.RetentionDays.SIX_MONTHS;

/** The whole grading service: one `cdk deploy`. See RUNBOOK.md, "Deploy with the CDK". */
export class PitRunnerStack extends Stack {
  constructor(scope: Construct, id: string, props: PitRunnerStackProps = {}) {
    super(scope, id, props);
    const name = this.stackName;
    const imageTag = new CfnParameter(this, 'ImageTag', { description: 'Image tag (the git SHA) the drain-queue schedule and the submission pipe run', minLength: 1 });
    const adminImageTag = new CfnParameter(this, 'AdminImageTag', { description: 'Image tag operators\' commands run (migrate, reprocess, shell): the new one before an upgrade, to migrate first', minLength: 1 });

    const network = createNetwork(this, props.existingVpc);
    const database = createDatabase(this, network, props.databaseUrlSecretArn);
    const repository = props.imageRepositoryUri ? undefined : new ecr.Repository(this, 'Repository', {
      imageScanOnPush: true, removalPolicy: RemovalPolicy.RETAIN, lifecycleRules: [{ description: 'keep the last 100 builds', maxImageCount: 100 }],
    });
    const repositoryUri = props.imageRepositoryUri ?? repository!.repositoryUri;
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc: network.vpc, containerInsightsV2: ecs.ContainerInsights.ENABLED, enableFargateCapacityProviders: true });
    const logGroup = new logs.LogGroup(this, 'TaskLogs', { logGroupName: `/ecs/${name}`, retention: CONTAINER_LOG_DAYS, removalPolicy: RemovalPolicy.RETAIN });
    const bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED, blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL, enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: 'run-logs', prefix: 'logs/', expiration: Duration.days(props.runLogDays ?? 365) },
        { id: 'unfinished-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
    const { queue, deadLetterQueue } = submissionQueues(this);

    const values: Record<string, string> = {
      AWS_PARTITION: Aws.PARTITION, AWS_REGION: Aws.REGION, AWS_ACCOUNT_ID: Aws.ACCOUNT_ID,
      ECS_CLUSTER: cluster.clusterName, ECS_SUBNETS: network.subnetIds.join(','), ECS_SECURITY_GROUP: network.taskSecurityGroup.securityGroupId,
      TASK_FAMILY: name, IMAGE_REPOSITORY_URI: repositoryUri, GIT_SHA: imageTag.valueAsString,
      ECR_REPOSITORY: repository?.repositoryName ?? repositoryUri.slice(repositoryUri.indexOf('/') + 1),
      S3_BUCKET: bucket.bucketName, SQS_QUEUE_NAME: queue.queueName, LOG_GROUP: logGroup.logGroupName,
      DATABASE_SECRET_ARN: database.kind === 'url' ? database.secretArn : database.secret.secretArn,
      RUNNER_TIMEOUT_MS: String(defaultConfig().timeoutMs),
      DRAIN_SCHEDULE_NAME: `${name}-drain-queue`, PIPE_NAME: `${name}-submissions`, ALERT_RULE_NAME: `${name}-task-failed`,
      GITHUB_REPOSITORY: props.githubRepository ?? '', DEPLOY_BRANCH: props.deployBranch ?? 'main',
    };

    // The runner reads an RDS secret itself (DATABASE_SECRET_ID, task role); a URL secret is injected by ECS (execution role).
    const readDatabaseSecret = { Sid: 'ResolveTheDatabaseSecret', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: values.DATABASE_SECRET_ARN };
    const taskRole = templateRole(this, 'TaskRole', 'task-role', values, { extra: database.kind === 'rds' ? [readDatabaseSecret] : [] });
    const executionRole = templateRole(this, 'ExecutionRole', 'execution-role', values, { drop: database.kind === 'rds' ? ['InjectTheDatabaseSecret'] : [] });
    Object.assign(values, { TASK_ROLE_NAME: taskRole.ref, EXECUTION_ROLE_NAME: executionRole.ref });
    const runner = this.taskDefinition('RunnerTaskDefinition', values, database);
    const admin = this.taskDefinition('AdminTaskDefinition', { ...values, TASK_FAMILY: `${name}-admin`, GIT_SHA: adminImageTag.valueAsString }, database);

    const schedulerRole = templateRole(this, 'SchedulerRole', 'scheduler-role', values);
    const pipeRole = templateRole(this, 'PipeRole', 'pipe-role', values);
    Object.assign(values, { SCHEDULER_ROLE_NAME: schedulerRole.ref, PIPE_ROLE_NAME: pipeRole.ref, TASK_DEFINITION_ARN: runner.ref });
    const { schedule, pipe } = createLaunchers(this, values, props.consumer ?? 'schedule');

    const alerts = createAlertTopic(this, props.alertEmail);
    values.ALERT_TOPIC_NAME = alerts.topicName;
    const rule = createTaskFailedRule(this, values);
    allowToPublish(alerts, 'events', rule.getAtt('Arn').toString());
    createDashboard(this, { name, logGroup, queue, deadLetterQueue, alerts });

    // Operators (and CI, to migrate) start the admin family only: the schedule and the pipe own the runner's.
    const operatorPolicy = new iam.CfnManagedPolicy(this, 'OperatorPolicy', {
      description: 'pit-runner operators: scripts/run-admin-task.sh (task-definitions/iam/dispatcher.json)',
      policyDocument: renderStackTemplate('iam/dispatcher.json', { ...values, TASK_FAMILY: `${name}-admin` }),
    });
    const ciRole = props.githubRepository ? this.ciRole(values, operatorPolicy.ref, props.createGithubOidcProvider ?? true) : undefined;

    acceptStackFindings(this);
    acceptTemplateWildcards(this, {
      bucket, logGroup, cluster, family: name, adminFamily: `${name}-admin`,
      task: taskRole, execution: executionRole, scheduler: schedulerRole, pipe: pipeRole, operator: operatorPolicy, ci: ciRole,
    });
    const outputs: Record<string, string | undefined> = {
      ClusterName: cluster.clusterName,
      TaskDefinitionArn: runner.ref,
      AdminTaskDefinitionArn: admin.ref,
      Subnets: Fn.join(',', network.subnetIds),
      SecurityGroup: network.taskSecurityGroup.securityGroupId,
      LogGroup: logGroup.logGroupName,
      QueueUrl: queue.queueUrl,
      DeadLetterQueueUrl: deadLetterQueue.queueUrl,
      BucketName: bucket.bucketName,
      ImageRepositoryUri: repositoryUri,
      AlertTopicArn: alerts.topicArn,
      DatabaseSecretArn: values.DATABASE_SECRET_ARN,
      OperatorPolicyArn: operatorPolicy.ref,
      DrainQueueScheduleName: schedule.ref,
      SubmissionPipeName: pipe.ref,
      CiRoleArn: ciRole?.attrArn,
    };
    for (const [key, value] of Object.entries(outputs)) if (value) new CfnOutput(this, key, { value });
  }

  private taskDefinition(id: string, values: Record<string, string>, database: ReturnType<typeof createDatabase>): ecs.CfnTaskDefinition {
    const definition = renderStackTemplate('runner.json', values);
    if (database.kind === 'rds') {
      const [container] = definition.containerDefinitions as Doc[];
      delete container!.secrets;
      container!.environment.push({ name: 'DATABASE_SECRET_ID', value: values.DATABASE_SECRET_ARN });
    }
    return new ecs.CfnTaskDefinition(this, id, definition as ecs.CfnTaskDefinitionProps);
  }

  private ciRole(values: Record<string, string>, operatorPolicyArn: string, createProvider: boolean): iam.CfnRole {
    const role = templateRole(this, 'CiRole', 'ci-role', values, { managedPolicyArns: [operatorPolicyArn] });
    if (createProvider) {
      const provider = new iam.CfnOIDCProvider(this, 'GithubOidcProvider', { url: 'https://token.actions.githubusercontent.com', clientIdList: ['sts.amazonaws.com'] });
      role.node.addDependency(provider);
    }
    return role;
  }
}

/**
 * The submissions queue and its dead-letter queue. A message stays hidden for a whole submission's deadline
 * (the runner's time limit plus its grace), so a consumer that cannot renew its visibility (the pipe's RunTask,
 * a stalled heartbeat) never sees a second delivery while the first may still be graded.
 */
export function submissionQueues(scope: Construct) {
  const { timeoutMs, submissionGraceMs } = defaultConfig();
  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14),
  });
  const queue = new sqs.Queue(scope, 'SubmissionQueue', {
    encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14),
    visibilityTimeout: Duration.seconds(Math.ceil((timeoutMs + submissionGraceMs) / 1000)),
    receiveMessageWaitTime: Duration.seconds(20),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 5 },
  });
  return { queue, deadLetterQueue };
}
