import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { accept } from './nag.js';
import type { Network } from './network.js';

/**
 * How the runner finds its database. `url`: an existing secret whose value is a postgres:// URL, injected by ECS
 * as DATABASE_URL (the execution role reads it). `rds`: the secret of the database this stack creates (RDS's JSON
 * with username, password, host), which the runner resolves itself from DATABASE_SECRET_ID (the task role reads it).
 */
export type Database = { kind: 'url'; secretArn: string } | { kind: 'rds'; secret: secretsmanager.ISecret; instance: rds.DatabaseInstance };

export function createDatabase(scope: Construct, network: Network, existingUrlSecretArn?: string): Database {
  if (existingUrlSecretArn) return { kind: 'url', secretArn: existingUrlSecretArn };
  // The runner reads this JSON (DATABASE_SECRET_ID); RDS adds host and port. `sslmode`: RDS refuses connections
  // without TLS, and the runner has no RDS certificate authority to verify against, so it encrypts unverified.
  const secret = new secretsmanager.Secret(scope, 'DatabaseSecret', {
    description: 'pit-runner database credentials (RDS adds host and port)',
    generateSecretString: {
      secretStringTemplate: JSON.stringify({ username: 'pit_runner', dbname: 'pit_runner', sslmode: 'require' }),
      generateStringKey: 'password',
      passwordLength: 32,
      excludeCharacters: ' %+~`#$&*()|[]{}:;<>?!\'/@"\\',
    },
  });
  accept(secret, [{ id: 'AwsSolutions-SMG4', reason: 'Rotation needs a rotation Lambda with a route to Secrets Manager and RDS; the runner reads the secret at each start, so rotating by hand (RUNBOOK) is safe.' }]);
  const instance = new rds.DatabaseInstance(scope, 'Database', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
    instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
    vpc: network.vpc,
    vpcSubnets: network.subnets,
    credentials: rds.Credentials.fromSecret(secret),
    databaseName: 'pit_runner',
    allocatedStorage: 20,
    maxAllocatedStorage: 100,
    storageEncrypted: true,
    multiAz: false,
    backupRetention: Duration.days(7),
    deletionProtection: true,
    removalPolicy: RemovalPolicy.SNAPSHOT,
    cloudwatchLogsExports: ['postgresql'],
    autoMinorVersionUpgrade: true,
  });
  instance.connections.allowDefaultPortFrom(network.taskSecurityGroup, 'pit-runner tasks');
  accept(instance, [
    { id: 'AwsSolutions-RDS3', reason: 'One small instance for a course; backups and a snapshot on delete cover its loss. Turn on Multi-AZ in the console when a course cannot wait for a restore.' },
    { id: 'AwsSolutions-RDS11', reason: 'The default port: only the runner tasks\' security group may connect, and the database has no route to or from the internet.' },
    { id: 'AwsSolutions-RDS6', reason: 'The runner authenticates with the generated password it reads from Secrets Manager (DATABASE_SECRET_ID); IAM tokens would need a client change.' },
  ]);
  return { kind: 'rds', secret: instance.secret!, instance };
}
