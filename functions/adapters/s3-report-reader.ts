import { reportKey } from '../core/feed-bucket.js';
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { RetryableError } from '../core/errors.js';
import type { ReportReader } from '../ports.js';

/** Where {@link S3ReportSink} puts a dealer's latest report (the same key the dealer sees over SFTP). */
export const latestReportKey = (dealerId: string): string => reportKey(dealerId, 'latest.json');

/** Reads `reports/latest.json` back for the Vehicle API's `GET …/runs/latest`. */
export class S3ReportReader implements ReportReader {
  constructor(private readonly options: { client: S3Client; bucket: string }) {}

  async latest(dealerId: string): Promise<unknown> {
    try {
      const out = await this.options.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: latestReportKey(dealerId) }),
      );
      return JSON.parse(await out.Body!.transformToString('utf8')) as unknown;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as Error).name === 'NoSuchKey') return null;
      throw new RetryableError(
        `reading the latest report failed: ${(error as Error).name}`,
        { dealerId, operation: 'GetObject' },
        { cause: error },
      );
    }
  }
}
