import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { readAppContext } from '../../lib/settings.js';
import { SFTP_ZONES } from '../../lib/constructs/sftp-network.js';
import { logicalId, synth } from './synth.js';

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string }>;

describe('-c sftpEndpoint=vpc', () => {
  const built = synth({ context: { sftpEndpoint: 'vpc', sftpAllowedCidrs: '198.51.100.0/24, 203.0.113.7/32' } });
  const resources = built.template.toJSON().Resources as Resources;
  const server = Object.values(resources).find((r) => r.Type === 'AWS::Transfer::Server')!;

  it('puts the server on a VPC endpoint with one retained Elastic IP per zone', () => {
    expect(server.Properties.EndpointType).toBe('VPC');
    const eips = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::EC2::EIP');
    expect(eips).toHaveLength(SFTP_ZONES);
    for (const [, eip] of eips) expect(eip.DeletionPolicy).toBe('Retain');
    expect(server.Properties.EndpointDetails.AddressAllocationIds).toEqual(
      eips.map(([id]) => ({ 'Fn::GetAtt': [id, 'AllocationId'] })),
    );
    expect(server.Properties.EndpointDetails.SubnetIds).toHaveLength(SFTP_ZONES);
    expect(built.template.toJSON().Outputs.SftpIpAddresses).toBeDefined();
  });

  it('lets in port 22 from the allowed ranges only, and nothing else', () => {
    const [groupRef] = server.Properties.EndpointDetails.SecurityGroupIds;
    const group = resources[groupRef['Fn::GetAtt'][0]]!;
    expect(group.Properties.SecurityGroupIngress).toEqual([
      expect.objectContaining({ CidrIp: '198.51.100.0/24', FromPort: 22, ToPort: 22, IpProtocol: 'tcp' }),
      expect.objectContaining({ CidrIp: '203.0.113.7/32', FromPort: 22, ToPort: 22, IpProtocol: 'tcp' }),
    ]);
  });

  it('stays cdk-nag clean (flow logs on, no NAT)', () => {
    for (const pack of [new AwsSolutionsChecks(), new ServerlessChecks()]) {
      expect(pack.validateScope(built.app).violations.map((v) => v.ruleName)).toEqual([]);
    }
    expect(Object.values(resources).some((r) => r.Type === 'AWS::EC2::NatGateway')).toBe(false);
  });

  it('refuses ranges that are not IPv4 CIDRs', () => {
    expect(() => readAppContext((key) => ({ sftpAllowedCidrs: '10.0.0.0/8,everyone' })[key])).toThrow(
      /sftpAllowedCidrs.*must be IPv4 CIDRs/,
    );
  });
});

describe('-c sftpHostname= and -c sftpHostKeySecret=', () => {
  const built = synth({
    context: {
      sftpHostname: 'sftp.dealer-group.se',
      sftpHostedZoneId: 'Z0123456789ABC',
      sftpHostKeySecret: 'wayke-dms/sftp-host-key',
    },
  });
  const resources = built.template.toJSON().Resources as Resources;

  it('creates the CNAME to the server and gives dealers the custom name', () => {
    const record = Object.values(resources).find((r) => r.Type === 'AWS::Route53::RecordSet')!;
    expect(record.Properties).toMatchObject({
      HostedZoneId: 'Z0123456789ABC',
      Name: 'sftp.dealer-group.se.',
      Type: 'CNAME',
    });
    expect(JSON.stringify(record.Properties.ResourceRecords)).toContain('.server.transfer.');
    expect(built.template.toJSON().Outputs.SftpEndpoint.Value).toBe('sftp.dealer-group.se');
  });

  it('imports the host key from the secret (a dynamic reference, never the key itself), retained', () => {
    const hostKey = Object.values(resources).find((r) => r.Type === 'AWS::Transfer::HostKey')!;
    expect(hostKey.DeletionPolicy).toBe('Retain');
    expect(hostKey.Properties.ServerId).toEqual({
      'Fn::GetAtt': [logicalId(built.stack, built.stack.storage.server), 'ServerId'],
    });
    expect(JSON.stringify(hostKey.Properties.HostKeyBody)).toContain(
      '{{resolve:secretsmanager:wayke-dms/sftp-host-key:SecretString:::}}',
    );
  });

  it('a hosted zone without a host name is a config error', () => {
    expect(() => readAppContext((key) => ({ sftpHostedZoneId: 'Z0123456789ABC' })[key])).toThrow(
      /sftpHostname.*needs sftpHostname/,
    );
  });
});
