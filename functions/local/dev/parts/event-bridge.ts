/**
 * The event bridge part of the local run: what EventBridge does in AWS. Bucket notifications for
 * uploads under `inbound/` invoke the import scheduler (one invocation at a time, as the stack's
 * reserved concurrency of 1 does), and so does the hourly rule; new reports and outbox files are
 * passed to the console.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseFeedKey } from '../../../core/feed-bucket.js';
import type { ImportReport } from '../../../core/import/report.js';
import type { Log } from '../../../ports.js';
import type { LocalS3, S3ObjectEvent } from '../engines.js';
import { inboundDealerOf, objectCreatedEvent, scheduledEvent } from '../events.js';
import type { LambdaFunction } from '../lambda.js';
import type { DevStackListener } from './listener.js';

export const HOURLY_MS = 60 * 60 * 1000;

/** What the bridge knows about the reports written since the start. */
export interface ReportTracker {
  /** The latest report of each dealer. */
  readonly latest: ReadonlyMap<string, ImportReport>;
  /** Reports written so far per dealer (counted as the report is stored, before it is read). */
  written(dealerId: string): number;
  /** Resolves at the next report, or after `ms`. */
  next(ms: number): Promise<void>;
  /** Wakes every waiter of {@link next} now. */
  wakeAll(): void;
}

export interface EventBridge {
  readonly reports: ReportTracker;
  /** Invokes the scheduler with a scheduled event (what the hourly rule does). */
  runSchedule(): Promise<void>;
  /** Resolves once the scheduler invocations started so far have ended. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

async function readJsonObject<T>(s3: S3Client, bucket: string, key: string): Promise<T | null> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await out.Body!.transformToString('utf8')) as T;
  } catch {
    return null;
  }
}

function reportTracker(): ReportTracker & {
  seen(dealerId: string): void;
  stored(dealerId: string, report: ImportReport): void;
} {
  const latest = new Map<string, ImportReport>();
  const counts = new Map<string, number>();
  const waiters: Array<() => void> = [];
  const wakeAll = () => {
    for (const wake of waiters.splice(0)) wake();
  };
  return {
    latest,
    written: (dealerId) => counts.get(dealerId) ?? 0,
    seen: (dealerId) => counts.set(dealerId, (counts.get(dealerId) ?? 0) + 1),
    stored(dealerId, report) {
      latest.set(dealerId, report);
      wakeAll();
    },
    next: (ms) =>
      new Promise<void>((resolve) => {
        const timeout = setTimeout(resolve, ms);
        waiters.push(() => {
          clearTimeout(timeout);
          resolve();
        });
      }),
    wakeAll,
  };
}

/** One invocation of the scheduler after the other; a failure does not block the next. */
function serialInvoker(scheduler: LambdaFunction) {
  let invocations = Promise.resolve();
  return {
    invoke(event: unknown): Promise<void> {
      const run = invocations.then(async () => {
        await scheduler.invoke(event);
      });
      invocations = run.catch(() => undefined);
      return run;
    },
    idle: () => invocations,
  };
}

export interface EventBridgeInput {
  readonly s3Engine: LocalS3;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly scheduler: LambdaFunction;
  readonly listener: DevStackListener;
  readonly log: Log;
  /** Run the hourly rule (off for `--once`). */
  readonly hourly: boolean;
}

/** Starts forwarding bucket notifications (and the hourly rule); `stop()` lets running invocations finish. */
export function startEventBridge(input: EventBridgeInput): EventBridge {
  const { s3, bucket, listener, log } = input;
  const scheduler = serialInvoker(input.scheduler);
  const reports = reportTracker();
  const onReport = (dealerId: string, key: string) => {
    void readJsonObject<ImportReport>(s3, bucket, key).then((report) => {
      if (!report) return;
      reports.stored(dealerId, report);
      listener.report?.(report);
    });
  };
  const onObject = (event: S3ObjectEvent) => {
    if (event.bucket !== bucket) return;
    const inboundDealer = inboundDealerOf(event.key);
    if (inboundDealer) {
      scheduler
        .invoke(objectCreatedEvent(event))
        .catch((error: Error) =>
          log.error('import-scheduler failed on an upload', { dealerId: inboundDealer, error: error.message }),
        );
      return;
    }
    const parts = parseFeedKey(event.key);
    if (parts?.folder === 'reports' && parts.name === 'latest.json') {
      // Counted before it is read: the worker's PutObject has not answered yet when this fires.
      reports.seen(parts.dealerId);
      onReport(parts.dealerId, event.key);
    } else if (parts?.folder === 'outbox' && parts.name !== '') {
      listener.outbox?.({ dealerId: parts.dealerId, key: event.key });
    }
  };
  input.s3Engine.events.on('object', onObject);
  const runSchedule = () => scheduler.invoke(scheduledEvent());
  const timer = input.hourly
    ? setInterval(() => {
        runSchedule().catch((error: Error) => log.error('scheduled import failed', { error: error.message }));
      }, HOURLY_MS)
    : null;
  timer?.unref();
  return {
    reports,
    runSchedule,
    settled: () => scheduler.idle(),
    async stop() {
      if (timer) clearInterval(timer);
      input.s3Engine.events.off('object', onObject);
      await scheduler.idle();
    },
  };
}
