/**
 * The local run's DLQ hint: the line it prints for the events DLQ is a command that works as
 * printed — `redrive --data <dir>` (no AWS settings; `--data` only when not the default) — run here
 * against a local SQS laid out as `npm start` leaves it, it moves the dead letter back.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as redrive } from '../../functions/local/commands/redrive.js';
import { eventsRedriveCommand, startDlqWatch } from '../../functions/local/dev/parts/dlq-watch.js';
import { startLocalRunQueues, type LocalRunQueues } from '../support/local-run-queues.js';
import { drainQueue } from '../support/webhooks.js';

let local: LocalRunQueues;
beforeAll(async () => {
  local = await startLocalRunQueues();
});
afterAll(() => local.stop());

/** The words of a printed command line (the test paths hold no quotes or spaces). */
const words = (line: string) => line.trim().split(/\s+/);

describe('the DLQ hint of the local run', () => {
  it('names --data only when the state directory is not the default', () => {
    expect(eventsRedriveCommand('.wayke-dms', '/home/me/dms')).toBe('npx wayke-dms redrive');
    expect(eventsRedriveCommand('/home/me/dms/.wayke-dms', '/home/me/dms')).toBe('npx wayke-dms redrive');
    expect(eventsRedriveCommand('state/one', '/home/me/dms')).toBe('npx wayke-dms redrive --data state/one');
    expect(eventsRedriveCommand('/srv/my state', '/home/me/dms')).toBe("npx wayke-dms redrive --data '/srv/my state'");
  });

  it('prints for the events DLQ a redrive line with no AWS settings that, run as printed, moves the message back', async () => {
    // Arrange: a dead-lettered event, and the watch of a run whose state is in `data`
    const printed = new Promise<string>((done) => {
      const watch = startDlqWatch({
        sqs: local.sqs,
        sqsUrl: local.sqsUrl,
        resources: local.resources,
        dataDir: local.data,
        cwd: process.cwd(),
        listener: {
          deadLetters: ({ queue, redrive: line }) => {
            if (queue !== 'events') return;
            void watch.stop();
            done(line);
          },
        },
      });
    });
    await local.sqs.send(
      new SendMessageCommand({
        QueueUrl: local.resources.eventsDlqUrl,
        MessageBody: '{"n":1}',
        MessageGroupId: 'bilhallen:ad-1',
        MessageDeduplicationId: 'e1',
      }),
    );
    const line = await printed;
    expect(line).toBe(`npx wayke-dms redrive --data ${local.data}`);
    expect(line).not.toMatch(/AWS_/);

    // Act: the printed command, with no AWS settings in the environment
    const [npx, bin, command, ...args] = words(line);
    expect([npx, bin, command]).toEqual(['npx', 'wayke-dms', 'redrive']);
    const saved = { ...process.env };
    for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let status: number;
    try {
      status = await redrive(args);
    } finally {
      stdout.mockRestore();
      Object.assign(process.env, saved);
    }

    // Assert
    expect(status).toBe(0);
    expect((await drainQueue(local.sqs, local.resources.eventsQueueUrl)).map((message) => message.Body)).toEqual([
      '{"n":1}',
    ]);
  }, 30_000);
});
