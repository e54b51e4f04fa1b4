import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

export interface Accepted { readonly id: string; readonly reason: string }

/** cdk-nag (AwsSolutions) findings accepted on a construct and everything under it, each with its reason. */
export function accept(scope: IConstruct, findings: Accepted[]): void {
  for (const finding of findings) Validations.of(scope).acknowledge(finding);
}

/** How cdk-nag names a resource's ARN or name inside a finding: its logical id in angle brackets. */
const ref = (construct: IConstruct) => `<${Stack.of(construct).getLogicalId((construct.node.defaultChild ?? construct) as CfnElement)}>`;
const wildcard = (resource: string) => `AwsSolutions-IAM5[Resource::${resource}]`;
const arn = (service: string, rest: string) => `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${rest}`;

/**
 * The wildcards the IAM templates (task-definitions/iam/) need, each bounded to one thing of this stack;
 * `Resource: "*"` only for actions with no resource-level permissions (the stack test holds them to that list).
 */
export function acceptTemplateWildcards(stack: Stack, r: {
  bucket: IConstruct; logGroup: IConstruct; cluster: IConstruct; family: string; adminFamily: string;
  task: IConstruct; execution: IConstruct; scheduler: IConstruct; pipe: IConstruct; operator: IConstruct; ci?: IConstruct;
}): void {
  const noResourceLevel = { id: wildcard('*'), reason: 'ecr:GetAuthorizationToken, ecs:RegisterTaskDefinition and DescribeTaskDefinition, and the ECS Exec channels (ssmmessages) have no resource-level permissions' };
  const tasksOfCluster = { id: wildcard(arn('ecs', `task/${ref(r.cluster)}/*`)), reason: 'the tasks of this stack\'s cluster only: their ids are not known before they run' };
  const revisions = (family: string) => ({ id: wildcard(arn('ecs', `task-definition/${family}:*`)), reason: `every revision of the ${family} family, and no other family` });
  for (const role of [r.task, r.execution, r.operator, ...(r.ci ? [r.ci] : [])]) accept(role, [noResourceLevel]);
  accept(r.task, [
    { id: wildcard(`arn:<AWS::Partition>:s3:::${ref(r.bucket)}/submissions/*`), reason: 'any submission ZIP under submissions/ (read only): the runner grades whichever the queue names' },
    { id: wildcard(`arn:<AWS::Partition>:s3:::${ref(r.bucket)}/logs/*`), reason: 'run logs under logs/ (write only), one object per submission' },
  ]);
  accept(r.execution, [{ id: wildcard(arn('logs', `log-group:${ref(r.logGroup)}:*`)), reason: 'the streams of the task log group only: one per task' }]);
  for (const launcher of [r.scheduler, r.pipe]) accept(launcher, [revisions(r.family), tasksOfCluster]);
  accept(r.operator, [
    revisions(r.adminFamily), tasksOfCluster,
    { id: wildcard(arn('logs', `log-group:${ref(r.logGroup)}:log-stream:*`)), reason: 'reading the streams of the task log group only, to follow a task' },
  ]);
}

/** The stack-wide findings; those of one resource are accepted where it is made. */
export function acceptStackFindings(stack: Stack): void {
  accept(stack, [
    { id: 'AwsSolutions-S1', reason: 'The bucket is reached only through the task role; CloudTrail data events are the place for an access log if a course needs one.' },
    { id: 'AwsSolutions-ECS2', reason: 'The environment holds only non-secret settings (region, bucket, queue URL, limits); the database URL comes by valueFrom or from Secrets Manager at start.' },
  ]);
}
