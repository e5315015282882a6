/**
 * The FIFO group lock local-aws-sqs lacks: SQS never hands out a message while an earlier one of
 * its group is in flight, the engine does. The gate keeps that order in the local event source
 * mapping: a message of a group that is being processed, or whose earlier message failed and
 * waits for its retry, is parked here (kept in flight, not handed to the handler) and released,
 * in order, right after that earlier message succeeds.
 */
import type { Message } from '@aws-sdk/client-sqs';

const groupOf = (message: Message): string | undefined => message.Attributes?.MessageGroupId;

export class FifoGroupGate {
  /** Groups with a batch running now. */
  private readonly busy = new Set<string>();
  /** Group → the message that failed and holds it until it succeeds. */
  private readonly held = new Map<string, string>();
  /** Group → messages waiting behind, in receive order. */
  private readonly parked = new Map<string, Message[]>();

  /** Splits received messages into those to process now and parks the rest. */
  admit(messages: readonly Message[]): Message[] {
    const now: Message[] = [];
    for (const message of messages) {
      const group = groupOf(message);
      const head = group === undefined ? undefined : this.held.get(group);
      if (group !== undefined && (this.busy.has(group) || (head !== undefined && head !== message.MessageId))) {
        this.parked.set(group, [...(this.parked.get(group) ?? []), message]);
        continue;
      }
      now.push(message);
    }
    for (const message of now) {
      const group = groupOf(message);
      if (group !== undefined) this.busy.add(group);
    }
    return now;
  }

  /**
   * Records what became of a processed batch and returns the parked messages now free to go (the
   * groups that had no failure); a failed message holds its group.
   */
  settle(processed: readonly Message[], failedIds: ReadonlySet<string>): Message[] {
    const released: Message[] = [];
    const groups = new Set(processed.map(groupOf).filter((group): group is string => group !== undefined));
    for (const group of groups) {
      this.busy.delete(group);
      const failed = processed.find((message) => groupOf(message) === group && failedIds.has(message.MessageId ?? ''));
      if (failed) {
        this.held.set(group, failed.MessageId ?? '');
        continue;
      }
      this.held.delete(group);
      released.push(...(this.parked.get(group) ?? []));
      this.parked.delete(group);
    }
    return released;
  }

  /** Every parked message (to keep them in flight while they wait). */
  waiting(): Message[] {
    return [...this.parked.values()].flat();
  }

  get size(): number {
    return this.waiting().length;
  }
}
