/**
 * The pollers part of the local run: the event source mappings of the work, events and vehicle
 * queues. The work poller also tells the console which import starts and how each one ended,
 * from what the worker's invocation returned and the ERROR lines it logged (its outcome), and
 * brings a failed import back soon instead of after the hour-long visibility timeout.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DMS_ENDPOINT_FAILING_MESSAGE } from '../../../core/events/retry-schedule.js';
import type { Log } from '../../../ports.js';
import type { LocalResources } from '../engines.js';
import { errorSummaryOf, type InvocationOutcome, type LogEntry } from '../lambda.js';
import { startSqsPoller, type SqsPoller } from '../sqs-poller.js';
import { vehicleChangesPoller } from '../vehicle-api.js';
import type { ReportTracker } from './event-bridge.js';
import type { Handlers } from './handlers.js';
import type { DevStackListener } from './listener.js';

/**
 * Seconds until a failed import's message is received again locally. In AWS it waits out the
 * queue's visibility timeout (6× the worker's 10 minutes); a developer fixing a feed or a config
 * should not wait an hour to see the retry. Receives still count, so the DLQ comes after the
 * same number of attempts.
 */
export const LOCAL_IMPORT_RETRY_SECONDS = 10;

type BatchResult = SQSBatchResponse | undefined;

interface WorkMessageHead {
  readonly dealerId?: string;
  readonly trigger?: string;
  readonly key?: string;
}

function headOf(record: SQSRecord): WorkMessageHead | null {
  try {
    const body = JSON.parse(record.body) as WorkMessageHead | null;
    return body && typeof body === 'object' ? body : null;
  } catch {
    // the worker reports a bad message itself
    return null;
  }
}

/** The records of a batch the outcome failed (all of them when the invocation threw). */
function failedRecords(event: SQSEvent, outcome: InvocationOutcome<SQSBatchResponse | void>): SQSRecord[] {
  if (!outcome.ok) return event.Records;
  const failed = new Set((outcome.result?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
  return event.Records.filter((record) => failed.has(record.messageId));
}

/** Why an import failed, in one line: the thrown error, else the invocation's last ERROR line. */
function failureReason(outcome: InvocationOutcome<unknown>): string {
  if (!outcome.ok) return outcome.error.message;
  const logged = outcome.errorLogs.map((entry) => errorSummaryOf(entry)).filter((line) => line !== null);
  const retry = `retried in ${LOCAL_IMPORT_RETRY_SECONDS} s`;
  return logged.length > 0 ? `${logged[logged.length - 1]} (${retry})` : `reported as a batch item failure; ${retry}`;
}

interface WorkPollerInput {
  readonly handlers: Handlers;
  readonly reports: ReportTracker;
  readonly listener: DevStackListener;
  readonly log: Log;
  /** The dealers whose imports are running in this local run, with how many batches each. */
  readonly running: Map<string, number>;
}

interface Announced {
  readonly dealerId: string;
  readonly trigger: string;
  /** Reports written for the dealer before this batch. */
  readonly reports: number;
  /** Whether another batch of the dealer was running when this one started. */
  readonly behind: boolean;
}

function announce(event: SQSEvent, input: WorkPollerInput): Announced[] {
  const announced: Announced[] = [];
  for (const head of event.Records.map(headOf)) {
    if (!head?.dealerId) continue;
    const trigger = head.trigger ?? 'schedule';
    input.listener.importStarted?.({ dealerId: head.dealerId, trigger, ...(head.key ? { key: head.key } : {}) });
    const running = input.running.get(head.dealerId) ?? 0;
    input.running.set(head.dealerId, running + 1);
    announced.push({
      dealerId: head.dealerId,
      trigger,
      reports: input.reports.written(head.dealerId),
      behind: running > 0,
    });
  }
  return announced;
}

function ended(announced: readonly Announced[], running: Map<string, number>): void {
  for (const { dealerId } of announced) {
    const left = (running.get(dealerId) ?? 1) - 1;
    if (left > 0) running.set(dealerId, left);
    else running.delete(dealerId);
  }
}

/** Every announced import gets its result line: a failure, a report (its own line) or "skipped". */
async function workBatch(event: SQSEvent, input: WorkPollerInput): Promise<BatchResult> {
  const announced = announce(event, input);
  let outcome: InvocationOutcome<SQSBatchResponse | void>;
  try {
    outcome = await input.handlers.worker.run(event);
  } finally {
    ended(announced, input.running);
  }
  const failed = failedRecords(event, outcome);
  for (const record of failed)
    input.listener.importFailed?.({ dealerId: headOf(record)?.dealerId ?? '?', error: failureReason(outcome) });
  if (failed.length === 0) {
    for (const entry of announced)
      if (input.reports.written(entry.dealerId) === entry.reports)
        input.listener.importSkipped?.({
          dealerId: entry.dealerId,
          trigger: entry.trigger,
          behindRunningImport: entry.behind || input.running.has(entry.dealerId),
        });
  }
  if (!outcome.ok) throw outcome.error;
  return outcome.result ?? undefined;
}

/** The DMS writer's alarm line (`DmsEndpointFailing` in AWS), from the ERROR lines of its invocation. */
function endpointFailing(entries: readonly LogEntry[], listener: DevStackListener): void {
  for (const entry of entries) {
    if (entry.message !== DMS_ENDPOINT_FAILING_MESSAGE) continue;
    const { dealerId, failingSince } = entry;
    if (typeof dealerId === 'string' && typeof failingSince === 'string')
      listener.dmsEndpointFailing?.({ dealerId, since: failingSince });
  }
}

export interface PollersInput {
  readonly sqs: SQSClient;
  readonly resources: LocalResources;
  readonly handlers: Handlers;
  readonly reports: ReportTracker;
  readonly listener: DevStackListener;
  readonly log: Log;
}

export interface Pollers {
  drained(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** Starts the three event source mappings. */
export function startPollers(input: PollersInput): Pollers {
  const { sqs, resources, handlers, log, listener } = input;
  const work: WorkPollerInput = { ...input, running: new Map() };
  const pollers: SqsPoller[] = [
    startSqsPoller({
      sqs,
      queueUrl: resources.workQueueUrl,
      batchSize: 1,
      // Lambda imports dealers in parallel; a few at once keeps 2 cores busy without thrashing.
      concurrency: 4,
      log,
      retryFailedAfterSeconds: LOCAL_IMPORT_RETRY_SECONDS,
      handler: (event) => workBatch(event, work),
    }),
    startSqsPoller({
      sqs,
      queueUrl: resources.eventsQueueUrl,
      batchSize: 10,
      // FIFO: the engine hands each message group to one batch at a time, so more pollers only
      // add parallelism across vehicles, as Lambda scales with the number of groups.
      concurrency: 4,
      log,
      handler: async (event) => {
        const outcome = await handlers.writer.run(event);
        endpointFailing(outcome.errorLogs, listener);
        if (!outcome.ok) throw outcome.error;
        return outcome.result ?? undefined;
      },
    }),
    vehicleChangesPoller({ sqs, queueUrl: resources.vehicleQueueUrl, worker: handlers.vehicleWorker, log }),
  ];
  return {
    async drained(timeoutMs) {
      const results = await Promise.all(pollers.map((poller) => poller.drained({ timeoutMs, pollMs: 100 })));
      return results.every(Boolean);
    },
    async stop() {
      await Promise.all(pollers.map((poller) => poller.stop()));
    },
  };
}
