/**
 * EventBridge-shaped events as AWS delivers them to the import-scheduler Lambda: the hourly
 * scheduled rule, and S3 "Object Created" notifications (bucket EventBridge notifications on).
 */
import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import { encodeEventKey, parseFeedKey } from '../../core/feed-bucket.js';
import { LOCAL_REGION } from './engines.js';
import { LOCAL_ACCOUNT_ID } from './lambda.js';

export type ScheduledEvent = EventBridgeEvent<'Scheduled Event', Record<string, never>>;

export interface S3ObjectCreatedDetail {
  version: '0';
  bucket: { name: string };
  object: { key: string; size: number; etag: string; sequencer: string };
  'request-id': string;
  requester: string;
  'source-ip-address': string;
  reason: 'PutObject' | 'CopyObject' | 'CompleteMultipartUpload' | 'PostObject';
}
export type S3ObjectCreatedEvent = EventBridgeEvent<'Object Created', S3ObjectCreatedDetail>;

export const HOURLY_RULE_NAME = 'wayke-dms-hourly-import';

/** The event an EventBridge `rate(1 hour)` rule sends. */
export function scheduledEvent(now: Date = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT_ID,
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:rule/${HOURLY_RULE_NAME}`],
    detail: {},
  };
}

const REASONS: Record<string, S3ObjectCreatedDetail['reason']> = {
  'ObjectCreated:Put': 'PutObject',
  'ObjectCreated:Copy': 'CopyObject',
  'ObjectCreated:Post': 'PostObject',
  'ObjectCreated:CompleteMultipartUpload': 'CompleteMultipartUpload',
};

/** The event S3 sends to EventBridge for a new object: `key` as stored, URL-encoded in the event as S3 does. */
export function objectCreatedEvent(
  input: { bucket: string; key: string; size?: number; eTag?: string; eventName?: string },
  now: Date = new Date(),
): S3ObjectCreatedEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: LOCAL_ACCOUNT_ID,
    time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [`arn:aws:s3:::${input.bucket}`],
    detail: {
      version: '0',
      bucket: { name: input.bucket },
      object: {
        key: encodeEventKey(input.key),
        size: input.size ?? 0,
        etag: input.eTag ?? '',
        sequencer: now.getTime().toString(16).toUpperCase().padStart(18, '0'),
      },
      'request-id': randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase(),
      requester: LOCAL_ACCOUNT_ID,
      'source-ip-address': '127.0.0.1',
      reason: REASONS[input.eventName ?? 'ObjectCreated:Put'] ?? 'PutObject',
    },
  };
}

/**
 * The dealer an inbound key belongs to (`feeds/<dealerId>/inbound/<name>`, sub-folders of inbound
 * included, as the rule's wildcard matches them), else null — the rule's filter.
 */
export function inboundDealerOf(key: string): string | null {
  const parts = parseFeedKey(key);
  if (!parts || parts.folder !== 'inbound' || parts.name === '' || parts.name.endsWith('/')) return null;
  return parts.dealerId;
}
