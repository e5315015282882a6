import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/core/errors.js';
import { readAppContext, WAYKE_ENDPOINTS } from '../../lib/settings.js';
import { DEFAULT_DMS_RETRY_SCHEDULE } from '../../functions/core/events/retry-schedule.js';

const from = (context: Record<string, unknown>) => readAppContext((key) => context[key]);

describe('CDK context', () => {
  it('has safe defaults: example config, Wayke test environment, 90-day archive', () => {
    expect(from({})).toEqual({
      config: 'config/dealers.example.json',
      stackName: 'WaykeDms',
      waykeEnvironment: 'test',
      archiveRetentionDays: 90,
      noncurrentVersionRetentionDays: 30,
      logRetentionDays: 30,
      reportRetentionDays: 30,
      outboxRetentionDays: 14,
      secretPrefix: 'wayke-dms/dealer/',
      sftpEndpoint: 'public',
      sftpAllowedCidrs: ['0.0.0.0/0'],
      logLevel: 'INFO',
      importConcurrency: 50,
      dmsRetrySchedule: [...DEFAULT_DMS_RETRY_SCHEDULE],
    });
  });

  it('wants apiDomain and apiCertificateArn together, and checks their form', () => {
    const arn = 'arn:aws:acm:eu-north-1:123456789012:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    expect(() => from({ apiDomain: 'hooks.dealer-group.se' })).toThrow(
      /apiCertificateArn": apiDomain and apiCertificateArn go together/,
    );
    expect(() => from({ apiDomain: 'Hooks..se', apiCertificateArn: arn })).toThrow(
      /apiDomain": must be a lower-case host name/,
    );
    expect(from({ apiDomain: 'hooks.dealer-group.se', apiCertificateArn: arn })).toMatchObject({
      apiDomain: 'hooks.dealer-group.se',
    });
  });

  it('accepts -c strings for numbers, as the CLI passes them', () => {
    const settings = from({
      archiveRetentionDays: '30',
      logRetentionDays: '365',
      importConcurrency: '200',
      waykeEnvironment: 'production',
    });
    expect(settings).toMatchObject({
      archiveRetentionDays: 30,
      logRetentionDays: 365,
      importConcurrency: 200,
      waykeEnvironment: 'production',
    });
  });

  it('rejects bad values with a ConfigError naming every key', () => {
    const bad = () =>
      from({ logRetentionDays: 31, alarmEmail: 'not-an-email', stackName: '1stack', importConcurrency: 1 });
    expect(bad).toThrow(ConfigError);
    expect(bad).toThrow(/context "logRetentionDays": must be one of 1, 3, 5/);
    expect(bad).toThrow(/context "alarmEmail"/);
    expect(bad).toThrow(/context "stackName": must start with a letter/);
    expect(bad).toThrow(/context "importConcurrency"/);
  });

  it('maps the Wayke environments to the hosts of docs/wayke-api.md', () => {
    expect(WAYKE_ENDPOINTS.production).toEqual({
      authUrl: 'https://auth.wayke.se',
      dealerApiUrl: 'https://dealer-api.wayke.se',
      mediaApiUrl: 'https://api.wayke.se',
    });
    expect(WAYKE_ENDPOINTS.test.dealerApiUrl).toBe('https://dealer-api.wayketech.se');
  });
});
