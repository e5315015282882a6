import { describe, expect, it } from 'vitest';
import { powertoolsFifoRunner } from '../../functions/adapters/powertools-fifo-runner.js';

const record = (messageId: string, groupId?: string) => ({ messageId, ...(groupId ? { groupId } : {}) });

describe('powertoolsFifoRunner (Powertools FIFO processor, skip group on error)', () => {
  it('runs records in order and, once a record of a group fails, skips that group only', async () => {
    // Prepare
    const ran: string[] = [];
    const records = [record('a1', 'A'), record('b1', 'B'), record('a2', 'A'), record('b2', 'B'), record('a3', 'A')];
    // Act
    const failed = await powertoolsFifoRunner(records, async ({ messageId }) => {
      ran.push(messageId);
      if (messageId === 'a2') throw new Error('DMS down');
    });
    // Assess
    expect(ran).toEqual(['a1', 'b1', 'a2', 'b2']);
    expect(failed).toEqual(['a2', 'a3']);
  });

  it('answers a batch that fails whole with every record, instead of throwing', async () => {
    const records = [record('x1', 'X'), record('y1', 'Y')];
    const failed = await powertoolsFifoRunner(records, () => Promise.reject(new Error('nothing works')));
    expect(failed).toEqual(['x1', 'y1']);
  });

  it('hands the caller its own record objects, with whatever they carry', async () => {
    const seen: unknown[] = [];
    const records = [{ messageId: 'm1', groupId: 'G', body: '{"n":1}' }];
    await powertoolsFifoRunner(records, async (r) => {
      seen.push(r);
    });
    expect(seen).toEqual([records[0]]);
  });
});
