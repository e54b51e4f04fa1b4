// The CDK app: `npx aws-cdk@2 deploy` from the repository root (cdk.json names this file). Settings come as
// context (-c key=value); the image tags as parameters. RUNBOOK.md, "Deploy with the CDK", lists them all.
import { App, Validations } from 'aws-cdk-lib';
import cdkNag from 'cdk-nag'; // CommonJS whose named exports Node cannot detect
import { PitRunnerStack, type PitRunnerStackProps } from '../lib/stack.js';
import type { Consumer } from '../lib/launchers.js';

const app = new App();
const context = (key: string): string | undefined => {
  const value = app.node.tryGetContext(key) as unknown;
  return value === undefined || value === '' ? undefined : String(value);
};
const list = (key: string) => context(key)?.split(',').map((item) => item.trim()).filter(Boolean);

const problems: string[] = [];
const vpcId = context('vpcId');
const subnetIds = list('subnetIds');
if (Boolean(vpcId) !== Boolean(subnetIds?.length)) problems.push('vpcId and subnetIds: give both (an existing VPC) or neither (a new one)');
const consumer = context('consumer') ?? 'schedule';
if (consumer !== 'schedule' && consumer !== 'pipe') problems.push(`consumer: schedule or pipe, not "${consumer}"`);
const runLogDays = context('runLogDays') === undefined ? undefined : Number(context('runLogDays'));
if (runLogDays !== undefined && !(Number.isInteger(runLogDays) && runLogDays > 0)) problems.push('runLogDays: a whole number of days');
if (problems.length) {
  process.stderr.write(`pit-runner stack: bad context:\n  - ${problems.join('\n  - ')}\n`);
  process.exit(2);
}

const props: PitRunnerStackProps = {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  imageRepositoryUri: context('imageRepositoryUri'),
  existingVpc: vpcId && subnetIds ? { vpcId, subnetIds } : undefined,
  databaseUrlSecretArn: context('databaseUrlSecretArn'),
  githubRepository: context('githubRepository'),
  deployBranch: context('deployBranch'),
  createGithubOidcProvider: context('createGithubOidcProvider') !== 'false',
  consumer: consumer as Consumer,
  alertEmail: context('alertEmail'),
  runLogDays,
};
new PitRunnerStack(app, context('stackName') ?? 'pit-runner', props);
Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app));
app.synth();
