/**
 * The local run's AWS names: region, the dummy credentials, and the bucket, tables and queues it
 * creates. No SDK import here, so a command that only needs the names (plan, redrive) stays light.
 */

/** Region and dummy credentials every local SDK client (and handler) uses (s3rver accepts only these). */
export const LOCAL_REGION = 'eu-north-1';
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** Names of everything the local stack creates. */
export interface LocalResourceNames {
  readonly bucket: string;
  readonly snapshotTable: string;
  readonly dedupeTable: string;
  readonly workQueue: string;
  readonly workDlq: string;
  readonly eventsQueue: string;
  readonly eventsDlq: string;
  /** The Vehicle API's per-vehicle FIFO queue and its DLQ. */
  readonly vehicleQueue: string;
  readonly vehicleDlq: string;
}

export const DEFAULT_RESOURCE_NAMES: LocalResourceNames = {
  bucket: 'wayke-dms-feeds',
  snapshotTable: 'wayke-dms-snapshots',
  dedupeTable: 'wayke-dms-dedupe',
  workQueue: 'wayke-dms-import-work',
  workDlq: 'wayke-dms-import-work-dlq',
  eventsQueue: 'wayke-dms-events.fifo',
  eventsDlq: 'wayke-dms-events-dlq.fifo',
  vehicleQueue: 'wayke-dms-vehicle-changes.fifo',
  vehicleDlq: 'wayke-dms-vehicle-changes-dlq.fifo',
};
