import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { RunnerError, isTransient, transientError } from '../errors.js';
import { clientSettings, type ClientConfig, type ClientOptions } from './clients.js';

export function createCloudFormationClient(config: ClientConfig, options: ClientOptions = {}): CloudFormationClient {
  return new CloudFormationClient(clientSettings(config, options));
}

/** What `dispatch` takes from the stack infra/ deploys: the names of its CfnOutputs. */
export interface DispatchTarget {
  cluster: string;
  taskDefinition: string;
  subnets: string;
  securityGroups: string;
  logGroup?: string;
}

export const STACK_OUTPUTS = { cluster: 'ClusterName', taskDefinition: 'AdminTaskDefinitionArn', subnets: 'Subnets', securityGroups: 'SecurityGroup', logGroup: 'LogGroup' } as const;

/**
 * Where operators' commands run, read from the stack's outputs: its admin task definition (the one an upgrade
 * moves first, so `migrate` runs the new image before the schedule and the pipe do).
 */
export async function readDispatchTarget(client: CloudFormationClient, stackName: string): Promise<DispatchTarget> {
  const answer = await client.send(new DescribeStacksCommand({ StackName: stackName })).catch((err: unknown) => {
    if ((err as { name?: string }).name === 'ValidationError') throw new RunnerError('CONFIG', `--stack: no stack named ${stackName} in this account and region`, { cause: err });
    if (isTransient(err)) throw transientError(`CloudFormation is unavailable: ${(err as Error).message}`, err);
    throw new RunnerError('CONFIG', `--stack: cannot read stack ${stackName}: ${(err as Error).message}`, { cause: err });
  });
  const outputs = Object.fromEntries((answer.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const missing = [STACK_OUTPUTS.cluster, STACK_OUTPUTS.taskDefinition, STACK_OUTPUTS.subnets, STACK_OUTPUTS.securityGroups].filter((key) => !outputs[key]);
  if (missing.length) throw new RunnerError('CONFIG', `--stack: stack ${stackName} has no output ${missing.join(', ')}: is it the pit-runner stack (infra/)?`);
  return {
    cluster: outputs[STACK_OUTPUTS.cluster]!, taskDefinition: outputs[STACK_OUTPUTS.taskDefinition]!,
    subnets: outputs[STACK_OUTPUTS.subnets]!, securityGroups: outputs[STACK_OUTPUTS.securityGroups]!,
    logGroup: outputs[STACK_OUTPUTS.logGroup],
  };
}
