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
      secretPrefix: 'wayke-dms/dealer/',
      logLevel: 'INFO',
      importConcurrency: 50,
      dmsRetrySchedule: [...DEFAULT_DMS_RETRY_SCHEDULE],
    });
  });

  it('accepts -c strings for numbers, as the CLI passes them', () => {
    const settings = from({ archiveRetentionDays: '30', logRetentionDays: '365', importConcurrency: '200', waykeEnvironment: 'production' });
    expect(settings).toMatchObject({ archiveRetentionDays: 30, logRetentionDays: 365, importConcurrency: 200, waykeEnvironment: 'production' });
  });

  it('rejects bad values with a ConfigError naming every key', () => {
    const bad = () => from({ logRetentionDays: 31, alarmEmail: 'not-an-email', stackName: '1stack', importConcurrency: 1 });
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
