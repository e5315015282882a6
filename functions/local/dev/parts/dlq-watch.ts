/**
 * The DLQ watch part of the local run: the stack's dead-letter alarms, as console lines with the
 * command that moves the messages back.
 */
import { relative, resolve } from 'node:path';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULT_STATE_DIR } from '../../state-dir.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalResources } from '../engines.js';
import type { DevStackListener } from './listener.js';

/** How often the dead-letter queues are looked at. */
const DLQ_CHECK_MS = 5000;

export interface DlqWatchInput {
  readonly sqs: SQSClient;
  readonly sqsUrl: string;
  readonly resources: LocalResources;
  readonly listener: DevStackListener;
  /** The local run's state directory, and the directory the user started it from. */
  readonly dataDir: string;
  readonly cwd: string;
}

/** A path as a shell word: quoted when it holds anything but plain characters. */
const shellWord = (text: string) => (/^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`);

/**
 * The command that moves the events DLQ back: `redrive --data` finds the local queues itself, and
 * the `--data` is left out when it is redrive's default.
 */
export function eventsRedriveCommand(dataDir: string, cwd: string): string {
  const dir = resolve(cwd, dataDir);
  if (dir === resolve(cwd, DEFAULT_STATE_DIR)) return 'npx wayke-dms redrive';
  const rel = relative(cwd, dir);
  return `npx wayke-dms redrive --data ${shellWord(rel && !rel.startsWith('..') ? rel : dir)}`;
}

/**
 * The work DLQ has no `--data` form (`redrive --data` takes the events DLQ), so its line names the
 * queue and the local SQS settings.
 */
function workRedriveCommand(sqsUrl: string, queueUrl: string): string {
  return `AWS_ENDPOINT_URL_SQS=${sqsUrl} AWS_REGION=${LOCAL_REGION} AWS_ACCESS_KEY_ID=${LOCAL_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${LOCAL_CREDENTIALS.secretAccessKey} npx wayke-dms redrive --queue ${queueUrl}`;
}

async function messageCount(sqs: SQSClient, queueUrl: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

/** Starts checking; `stop()` ends it. A check that fails (the engine stopping) is skipped. */
export function startDlqWatch(input: DlqWatchInput): { stop(): Promise<void> } {
  const counts = new Map<string, number>();
  const queues = [
    ['work', input.resources.workDlqUrl],
    ['events', input.resources.eventsDlqUrl],
  ] as const;
  const check = async () => {
    for (const [queue, queueUrl] of queues) {
      const count = await messageCount(input.sqs, queueUrl);
      if (count > (counts.get(queueUrl) ?? 0)) {
        input.listener.deadLetters?.({
          queue,
          queueUrl,
          count,
          redrive:
            queue === 'events'
              ? eventsRedriveCommand(input.dataDir, input.cwd)
              : workRedriveCommand(input.sqsUrl, queueUrl),
        });
      }
      counts.set(queueUrl, count);
    }
  };
  const timer = setInterval(() => {
    check().catch(() => undefined);
  }, DLQ_CHECK_MS);
  timer.unref();
  return { stop: async () => clearInterval(timer) };
}
