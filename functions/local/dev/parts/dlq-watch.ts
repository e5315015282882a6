/**
 * The DLQ watch part of the local run: the stack's dead-letter alarms, as console lines with the
 * command that moves the messages back.
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalResources } from '../engines.js';
import type { DevStackListener } from './listener.js';

/** How often the dead-letter queues are looked at. */
const DLQ_CHECK_MS = 5000;

export interface DlqWatchInput {
  readonly sqs: SQSClient;
  readonly sqsUrl: string;
  readonly resources: LocalResources;
  readonly listener: DevStackListener;
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
  const redriveEnv = `AWS_ENDPOINT_URL_SQS=${input.sqsUrl} AWS_REGION=${LOCAL_REGION} AWS_ACCESS_KEY_ID=${LOCAL_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${LOCAL_CREDENTIALS.secretAccessKey}`;
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
          redrive: `${redriveEnv} node bin/wayke-dms.js redrive --queue ${queueUrl}`,
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
