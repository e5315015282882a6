import { PermanentError, RetryableError } from '../core/errors.js';
import { webhookHeaders } from '../core/events/signature.js';
import type { Clock, DmsSink, SecretStore } from '../ports.js';
import type { DmsEnvelope } from '../core/events/envelope.js';
import type { ResolvedDealer } from '../core/dealer-config.js';

/** The DMS refused the event (4xx other than 408/429): retrying cannot help. */
export class DmsRejectedError extends PermanentError {}
/** The DMS could not take the event now (5xx, 408, 429, timeout, connection failure). */
export class DmsUnavailableError extends RetryableError {}

export interface WebhookDmsSinkOptions {
  readonly secrets: SecretStore;
  readonly clock: Clock;
  /** Per-request timeout; default 10 s. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof globalThis.fetch;
  readonly userAgent?: string;
}

/**
 * The signed-webhook {@link DmsSink}: `POST`s the envelope as JSON to the dealer's DMS URL with
 * the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`, keyed
 * with the dealer's `dmsSigningSecret`). 2xx is success; 4xx other than 408/429 is permanent;
 * anything else, timeouts and connection failures are retryable. Errors carry the status, never
 * the URL, the body or the DMS's answer (which may echo personal data).
 */
export class WebhookDmsSink implements DmsSink {
  private readonly fetch: typeof globalThis.fetch;

  constructor(private readonly options: WebhookDmsSinkOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async deliver({ dealer, envelope }: { dealer: ResolvedDealer; envelope: DmsEnvelope }): Promise<void> {
    const context = { dealerId: dealer.id, eventId: envelope.id, operation: 'deliverWebhook' };
    if (dealer.dms?.type !== 'webhook') throw new PermanentError('dealer has no webhook DMS target', context);
    const secrets = await this.options.secrets.getDealerSecrets(dealer.id);
    const body = JSON.stringify(envelope);
    const timestamp = Math.floor(this.options.clock.now().getTime() / 1000);
    let headers: Record<string, string>;
    try {
      headers = webhookHeaders({ id: envelope.id, timestamp, body, secret: secrets.dmsSigningSecret });
    } catch (error) {
      throw new PermanentError(`dealer's DMS signing secret is unusable: ${(error as Error).message}`, context);
    }
    let response: Response;
    try {
      response = await this.fetch(dealer.dms.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': this.options.userAgent ?? 'wayke-dms',
          ...headers,
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
        redirect: 'manual',
      });
    } catch (error) {
      const name = (error as Error).name;
      const what = name === 'TimeoutError' || name === 'AbortError' ? 'timed out' : 'connection failed';
      throw new DmsUnavailableError(`DMS webhook ${what}`, context, { cause: error });
    }
    // Drain the answer so the connection can be reused; its content is not kept (personal data).
    await response.arrayBuffer().catch(() => undefined);
    const status = response.status;
    if (status >= 200 && status < 300) return;
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      throw new DmsRejectedError(`DMS refused the event with HTTP ${status}`, { ...context, status });
    }
    throw new DmsUnavailableError(`DMS answered HTTP ${status}`, { ...context, status });
  }
}
