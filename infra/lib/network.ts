import { Fn } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { accept } from './nag.js';

/** An existing VPC: its id and the private subnets the tasks (and a created database) go in. */
export interface ExistingVpc {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
}

export interface Network {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly subnetIds: string[];
  /** The runner tasks' security group: HTTPS out (to the VPC endpoints), nothing in. */
  readonly taskSecurityGroup: ec2.SecurityGroup;
}

/**
 * Private subnets with no route to the internet (no internet or NAT gateway), and VPC endpoints for every
 * service the runner calls, so neither the runner nor the student code it runs can reach anything else.
 * Or an existing VPC, whose routes and endpoints are the operator's.
 */
export function createNetwork(scope: Construct, existing?: ExistingVpc): Network {
  const vpc = existing ? importVpc(scope, existing) : isolatedVpc(scope);
  const subnets: ec2.SubnetSelection = existing
    ? { subnets: existing.subnetIds.map((id, i) => ec2.Subnet.fromSubnetId(scope, `Subnet${i}`, id)) }
    : { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  const taskSecurityGroup = new ec2.SecurityGroup(scope, 'TaskSecurityGroup', {
    vpc,
    description: 'pit-runner tasks: HTTPS to the AWS endpoints and PostgreSQL to the database, nothing in',
    allowAllOutbound: false,
  });
  // The S3 gateway endpoint is reached at S3's public addresses through the route table, so 443 is not limited
  // to the VPC's range; in the stack's own VPC that route and the interface endpoints are the only ones.
  taskSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS endpoints (S3 through the gateway)');
  return { vpc, subnets, subnetIds: vpc.selectSubnets(subnets).subnetIds, taskSecurityGroup };
}

function importVpc(scope: Construct, { vpcId, subnetIds }: ExistingVpc): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(scope, 'Vpc', {
    vpcId,
    availabilityZones: subnetIds.map((_, i) => Fn.select(i, Fn.getAzs())),
    isolatedSubnetIds: [...subnetIds],
  });
}

function isolatedVpc(scope: Construct): ec2.IVpc {
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
    restrictDefaultSecurityGroup: false, // true would add a custom-resource Lambda; nothing uses the default group
  });
  const flowLogs = new logs.LogGroup(scope, 'FlowLogs', { retention: logs.RetentionDays.THREE_MONTHS });
  vpc.addFlowLog('RejectedTraffic', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.REJECT });
  vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
  const interfaces = {
    Sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
    SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
    EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    EcsExec: ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES, // `shell` through ECS Exec
  };
  for (const [id, service] of Object.entries(interfaces)) vpc.addInterfaceEndpoint(id, { service, privateDnsEnabled: true });
  accept(vpc, [{ id: 'AwsSolutions-EC23', reason: 'The endpoints admit HTTPS from the VPC\'s own address range only (a CloudFormation reference cdk-nag cannot read).' }]);
  return vpc;
}
