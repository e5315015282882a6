import { describe, expect, it } from 'vitest';
import { FifoGroupGate } from '../../functions/local/dev/fifo-group-gate.js';

const message = (id: string, group?: string) => ({
  MessageId: id,
  ReceiptHandle: `rh-${id}`,
  Attributes: group ? { MessageGroupId: group } : {},
});

describe('FifoGroupGate (the group lock local-aws-sqs lacks)', () => {
  it('parks a later message of a group while an earlier one runs or waits for its retry, and releases it in order after the success', () => {
    const gate = new FifoGroupGate();
    expect(gate.admit([message('a1', 'A')]).map((m) => m.MessageId)).toEqual(['a1']);
    // The engine hands out a2 while a1 is in flight; b1 of another group goes on.
    expect(
      gate.admit([message('a2', 'A'), message('b1', 'B'), message('w', undefined)]).map((m) => m.MessageId),
    ).toEqual(['b1', 'w']);
    expect(gate.settle([message('a1', 'A')], new Set(['a1']))).toEqual([]);
    expect(gate.admit([message('a3', 'A')])).toEqual([]);
    expect(gate.size).toBe(2);
    // a1 comes back after its delay and succeeds: a2, a3 follow in order.
    expect(gate.admit([message('a1', 'A')]).map((m) => m.MessageId)).toEqual(['a1']);
    expect(gate.settle([message('a1', 'A')], new Set()).map((m) => m.MessageId)).toEqual(['a2', 'a3']);
    expect(gate.size).toBe(0);
  });
});
