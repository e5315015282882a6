import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as transfer from 'aws-cdk-lib/aws-transfer';
import { Construct } from 'constructs';

/** Availability zones (and so Elastic IPs) of the SFTP VPC endpoint. */
export const SFTP_ZONES = 2;

export interface SftpVpcEndpointProps {
  /** IPv4 ranges allowed to reach port 22; dealers' DMS hosts are many and unknown, so all by default. */
  readonly allowedCidrs: readonly string[];
  /** Retention of the VPC flow log group. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * An internet-facing VPC endpoint for the SFTP server: a small VPC (public subnets only, no NAT),
 * one Elastic IP per zone (fixed addresses dealers' firewalls can allow-list) and a security group
 * with port 22 only. The Elastic IPs are retained, so the addresses survive a stack replacement.
 */
export class SftpVpcEndpoint extends Construct {
  readonly vpc: ec2.Vpc;
  readonly securityGroup: ec2.SecurityGroup;
  readonly elasticIps: readonly ec2.CfnEIP[];

  constructor(scope: Construct, id: string, props: SftpVpcEndpointProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: SFTP_ZONES,
      natGateways: 0,
      subnetConfiguration: [{ name: 'sftp', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      restrictDefaultSecurityGroup: false,
    });
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: props.logRetention });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'Sftp', {
      vpc: this.vpc,
      description: 'SFTP from dealers (port 22 only)',
      allowAllOutbound: false,
    });
    for (const cidr of props.allowedCidrs)
      this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(22), 'SFTP');
    if (props.allowedCidrs.includes('0.0.0.0/0')) {
      const reason =
        "Dealers' DMS hosts connect from addresses nobody lists centrally; port 22 only, key-only logins per dealer (Transfer Family, no passwords). Narrow it with -c sftpAllowedCidrs=.";
      // cdk-nag's finding, and CDK's own CloudFormation validation warning on the same rule.
      Validations.of(this.securityGroup).acknowledge(
        { id: 'AwsSolutions-EC23', reason },
        { id: 'CloudFormation-Validate::W2508', reason },
      );
    }
    this.elasticIps = Array.from({ length: SFTP_ZONES }, (_, i) => {
      const eip = new ec2.CfnEIP(this, `Ip${i}`, {
        domain: 'vpc',
        tags: [{ key: 'Name', value: `wayke-dms-sftp-${i}` }],
      });
      eip.applyRemovalPolicy(RemovalPolicy.RETAIN);
      return eip;
    });
  }

  /** The server's `EndpointDetails`. */
  endpointDetails(): transfer.CfnServer.EndpointDetailsProperty {
    return {
      vpcId: this.vpc.vpcId,
      subnetIds: this.vpc.publicSubnets.map((subnet) => subnet.subnetId),
      addressAllocationIds: this.elasticIps.map((eip) => eip.attrAllocationId),
      securityGroupIds: [this.securityGroup.securityGroupId],
    };
  }
}
