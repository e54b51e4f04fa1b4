import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { renderStackTemplate, type Doc } from './templates.js';

/**
 * A role whose trust and permissions are the templates task-definitions/iam/<name>-trust.json and <name>.json,
 * rendered with the stack's values, plus `extra` statements for what only the stack knows.
 * Its name is generated (unique per stack); the templates refer to it through `<NAME>_ROLE_NAME`.
 */
export function templateRole(scope: Construct, id: string, name: string, values: Record<string, string>, options: {
  extra?: Doc[];
  drop?: string[]; // Sids that do not apply to this stack's setup
  managedPolicyArns?: string[];
} = {}): iam.CfnRole {
  const policy = renderStackTemplate(`iam/${name}.json`, values);
  policy.Statement = [...(policy.Statement as Doc[]).filter((s) => !options.drop?.includes(s.Sid)), ...(options.extra ?? [])];
  return new iam.CfnRole(scope, id, {
    description: `pit-runner ${name} (task-definitions/iam/${name}.json)`,
    assumeRolePolicyDocument: renderStackTemplate(`iam/${name}-trust.json`, values),
    policies: [{ policyName: name, policyDocument: policy }],
    managedPolicyArns: options.managedPolicyArns,
  });
}
