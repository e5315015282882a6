/** The services of the local run that listen on a port, and the names the local run shares with AWS. */
import { DEFAULT_SECRET_PREFIX } from '../../../core/dealer-config.js';
import type { PortedService } from '../start-failure.js';

/** As in AWS, so the README's `aws secretsmanager` lines work on both. */
export const SECRET_PREFIX = DEFAULT_SECRET_PREFIX;

/** Every part that listens, with the `wayke-dms dev` option that moves it (null: a random free port). */
export const PARTS = {
  api: { service: 'the webhook endpoint (API Gateway stand-in)', option: '--port' },
  sftp: { service: 'the SFTP server', option: '--sftp-port' },
  wayke: { service: 'the Wayke simulator', option: '--wayke-port' },
  demoDms: { service: 'the demo DMS', option: '--dms-port' },
  s3: { service: 'the S3 stand-in (s3rver)', option: null },
  dynamodb: { service: 'the DynamoDB stand-in (dynalite)', option: null },
  sqs: { service: 'the SQS stand-in (local-aws-sqs)', option: null },
  secrets: { service: 'the Secrets Manager stand-in', option: null },
} as const satisfies Record<string, PortedService>;
