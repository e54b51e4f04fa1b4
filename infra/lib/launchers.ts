import { CfnResource } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { cloudFormationKeys, renderStackTemplate } from './templates.js';

/** Which launcher consumes the queue; the other is created stopped (RUNBOOK, "Queue/DLQ": pick one per queue). */
export type Consumer = 'schedule' | 'pipe';

/** The drain-queue schedule and the submission pipe, from their templates (API casing → CloudFormation's). */
export function createLaunchers(scope: Construct, values: Record<string, string>, consumer: Consumer) {
  const schedule = renderStackTemplate('drain-queue-schedule.json', values);
  schedule.State = consumer === 'schedule' ? 'ENABLED' : 'DISABLED';
  const pipe = renderStackTemplate('submission-pipe.json', values);
  pipe.DesiredState = consumer === 'pipe' ? 'RUNNING' : 'STOPPED';
  return {
    schedule: new CfnResource(scope, 'DrainQueueSchedule', { type: 'AWS::Scheduler::Schedule', properties: cloudFormationKeys(schedule) as object }),
    pipe: new CfnResource(scope, 'SubmissionPipe', { type: 'AWS::Pipes::Pipe', properties: cloudFormationKeys(pipe) as object }),
  };
}

/** The rule that sends a failed or never-started runner task to the alert topic. */
export function createTaskFailedRule(scope: Construct, values: Record<string, string>): CfnResource {
  const rule = renderStackTemplate('task-state-change-rule.json', values);
  const { Targets } = renderStackTemplate('task-state-change-targets.json', values);
  return new CfnResource(scope, 'TaskFailedRule', {
    type: 'AWS::Events::Rule',
    properties: { ...rule, EventPattern: JSON.parse(rule.EventPattern as string), Targets: cloudFormationKeys(Targets, ['InputPathsMap']) },
  });
}
