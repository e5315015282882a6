/** The admin routes alone, on a fresh state: what they change, and how they refuse bad input. */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type AdminContext, answerAdmin } from '../../../functions/local/wayke-simulator/admin.js';
import { StateFile } from '../../../functions/local/wayke-simulator/persistence.js';
import { SimulatorState } from '../../../functions/local/wayke-simulator/state.js';
import { WebhookSender } from '../../../functions/local/wayke-simulator/webhooks.js';

function context(): AdminContext {
  const state = new SimulatorState({ clients: [{ clientId: 'sim-client', clientSecret: 'sim-secret' }] });
  state.ads.set('a1', {
    id: 'a1',
    branch: 'b1',
    marketCode: 'SE',
    status: 'Published',
    vehicle: { registrationNumber: 'ABC123' },
    ad: {},
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
  });
  return {
    state,
    webhooks: new WebhookSender(state, { attempts: 1, retryDelayMs: 0 }),
    stateFile: new StateFile(state, undefined, 0),
  };
}

const request = (body: string | Buffer): IncomingMessage => Readable.from([Buffer.from(body)]) as IncomingMessage;

describe('Wayke simulator admin routes', () => {
  it.each([
    ['/_admin/faults', '{"throttleRate":'],
    ['/_admin/webhook', 'not json'],
    ['/_admin/clients', '{'],
  ])('answers 400 "(body) must be valid JSON" to a broken body on %s', async (path, body) => {
    const answer = await answerAdmin(context(), request(body), 'POST', path);
    expect(answer).toMatchObject({ status: 400, body: { field: '(body)', message: '(body): must be valid JSON' } });
  });

  it('answers 413 to a body over 1 MiB, and changes nothing', async () => {
    const ctx = context();
    const answer = await answerAdmin(ctx, request(Buffer.alloc(1024 * 1024 + 1, 0x20)), 'POST', '/_admin/clients');
    expect(answer).toMatchObject({ status: 413, body: { message: 'body too large' } });
    expect(ctx.state.clients).toHaveLength(1);
  });

  it.each([
    ['an empty body', ''],
    ['a number', '5'],
    ['a url that is no string', '{"url":5}'],
  ])('refuses a webhook target that is %s with 400 url', async (_case, body) => {
    const ctx = context();
    const answer = await answerAdmin(ctx, request(body), 'POST', '/_admin/webhook');
    expect(answer).toMatchObject({ status: 400, body: { field: 'url' } });
    expect(ctx.state.webhookTargets.size).toBe(0);
  });

  it('sets a branch target and clears the default with null', async () => {
    const ctx = context();
    ctx.state.setWebhook({ url: 'http://127.0.0.1:9/default' });
    const set = await answerAdmin(
      ctx,
      request('{"branchId":"b1","url":"http://127.0.0.1:9/b1"}'),
      'POST',
      '/_admin/webhook',
    );
    expect(set.status).toBe(204);
    expect((await answerAdmin(ctx, request('null'), 'POST', '/_admin/webhook')).status).toBe(204);
    expect([...ctx.state.webhookTargets.keys()]).toEqual(['b1']);
  });

  it.each([
    ['no secret', '{"clientId":"c"}'],
    ['a numeric id', '{"clientId":1,"clientSecret":"s"}'],
    ['null', 'null'],
  ])('refuses a client with %s, and adds none', async (_case, body) => {
    const ctx = context();
    const answer = await answerAdmin(ctx, request(body), 'POST', '/_admin/clients');
    expect(answer).toMatchObject({ status: 400, body: { field: 'clientId' } });
    expect(ctx.state.clients).toHaveLength(1);
  });

  it('a process event for an unknown ad is 404; one missing its names is 400', async () => {
    const ctx = context();
    const event = '{"processName":"p","stepName":"s","state":"completed"}';
    expect((await answerAdmin(ctx, request(event), 'POST', '/_admin/ads/nope/process')).status).toBe(404);
    const partial = await answerAdmin(ctx, request('{"processName":"p"}'), 'POST', '/_admin/ads/a1/process');
    expect(partial).toMatchObject({ status: 400, body: { field: 'processName' } });
    // Without a webhook target nothing is delivered, and that is a 200 with no deliveries.
    expect(await answerAdmin(ctx, request(event), 'POST', '/_admin/ads/a1/process')).toMatchObject({
      status: 200,
      body: { deliveries: [] },
    });
  });

  it('answers 404 to an unknown admin route or a known one with another method', async () => {
    expect((await answerAdmin(context(), request(''), 'POST', '/_admin/nothing')).status).toBe(404);
    expect((await answerAdmin(context(), request(''), 'GET', '/_admin/faults')).status).toBe(404);
  });

  it('merges faults, revokes tokens and shows the state', async () => {
    const ctx = context();
    const faults = await answerAdmin(ctx, request('{"throttleRate":0.5}'), 'POST', '/_admin/faults');
    expect(faults).toMatchObject({ status: 200, body: { throttleRate: 0.5, seed: 1 } });
    ctx.state.tokens.set('t', { clientId: 'sim-client', expiresAt: Number.MAX_SAFE_INTEGER });
    expect(await answerAdmin(ctx, request(''), 'POST', '/_admin/tokens/revoke')).toMatchObject({
      body: { revoked: 1 },
    });
    const view = await answerAdmin(ctx, request(''), 'GET', '/_admin/state');
    expect(view).toMatchObject({ status: 200, body: { faults: { throttleRate: 0.5 }, ads: { a1: { id: 'a1' } } } });
  });

  it.each([
    [
      'a misspelt fault',
      '{"serverErrorRte":0.5}',
      'serverErrorRte',
      'unknown fault "serverErrorRte" (known: serverErrorRate,',
    ],
    ['a share above 1', '{"serverErrorRate":20}', 'serverErrorRate', '<=1'],
    ['a negative latency', '{"latencyMs":-5}', 'latencyMs', '>=0'],
    ['a route that is not one', '{"routes":["vehicle"]}', 'routes.0', 'POST /vehicle'],
    ['an array for the body', '[1]', 'body', 'object'],
  ])('refuses %s with 400 naming the field, and the faults in force stay', async (_, body, field, message) => {
    const ctx = context();
    await answerAdmin(ctx, request('{"throttleRate":0.25}'), 'POST', '/_admin/faults');
    const answer = await answerAdmin(ctx, request(body), 'POST', '/_admin/faults');
    expect(answer).toMatchObject({ status: 400, body: { field } });
    expect((answer.body as { message: string }).message).toContain(message);
    expect(ctx.state.faults.current).toMatchObject({
      throttleRate: 0.25,
      serverErrorRate: 0,
      latencyMs: 0,
      routes: [],
    });
  });
});
