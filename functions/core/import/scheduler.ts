import { decodeEventKey, parseInboundFeedKey } from '../feed-bucket.js';
import type { Log, WorkQueue } from '../../ports.js';
import type { WorkMessage } from './work-message.js';

/**
 * The import fan-out: the hourly scheduled event asks for one work message per dealer; an S3
 * "Object Created" of a finished upload (the inbound-key rule of `feed-bucket`) asks for one for
 * that dealer at once. Anything else asks for nothing.
 */

/** The EventBridge events the scheduler is subscribed to, as far as it reads them. */
export interface ImportTriggerEvent {
  readonly 'detail-type': string;
  readonly detail?: { readonly object?: { readonly key?: string } } | Record<string, never>;
}

/** The work messages an event asks for, for the known dealers only (pure). */
export function workMessagesFor(event: ImportTriggerEvent, dealers: readonly string[]): WorkMessage[] {
  if (event['detail-type'] === 'Scheduled Event') return dealers.map((dealerId) => ({ dealerId, trigger: 'schedule' }));
  if (event['detail-type'] !== 'Object Created') return [];
  // EventBridge delivers S3 keys URL-encoded with `+` for spaces; decoding never throws.
  const raw = (event.detail as { object?: { key?: string } } | undefined)?.object?.key ?? '';
  const key = decodeEventKey(raw);
  const upload = parseInboundFeedKey(key);
  if (!upload || !dealers.includes(upload.dealerId)) return [];
  return [{ dealerId: upload.dealerId, trigger: 'upload', key }];
}

export interface ImportSchedulerDeps {
  /** Ids of the configured dealers. */
  readonly dealers: readonly string[];
  readonly queue: WorkQueue;
  readonly log: Log;
}

/** The scheduler: queues the work an event asks for; resolves once the queue holds it. */
export function makeImportScheduler(deps: ImportSchedulerDeps) {
  return async function scheduleImports(event: ImportTriggerEvent): Promise<{ sent: number }> {
    const messages = workMessagesFor(event, deps.dealers);
    if (messages.length === 0) {
      deps.log.warn('Event asks for no import (unknown dealer, incomplete upload or other event)', {
        detailType: event['detail-type'],
      });
      return { sent: 0 };
    }
    await deps.queue.send(messages);
    deps.log.info('Import work queued', { trigger: messages[0]?.trigger, dealers: messages.length });
    return { sent: messages.length };
  };
}
