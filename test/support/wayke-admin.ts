/**
 * The Wayke simulator's admin side as a buyer and a dealer use Wayke: an online sale that reserves,
 * sells or releases an ad, and a hand edit in Wayke's own interface. Each fires the webhook Wayke would.
 */
import type { SimulatedAd, WaykeSimulator } from '../../functions/local/wayke-simulator/index.js';

export type OnlineSaleAction = 'reserved' | 'sold' | 'released';

async function admin(sim: WaykeSimulator, path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${sim.url}/_admin/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** The one ad the simulator holds for a plate. */
export function adOf(sim: WaykeSimulator, plate: string): SimulatedAd {
  const state = sim.state();
  const ids = state.adsByPlate[plate] ?? [];
  if (ids.length !== 1) throw new Error(`${plate}: ${ids.length} ads in the simulator`);
  return state.ads[ids[0] as string]!;
}

/** A buyer's step in the online sale of the plate's ad. */
export async function onlineSale(sim: WaykeSimulator, plate: string, state: OnlineSaleAction): Promise<void> {
  const answer = await admin(sim, `ads/${adOf(sim, plate).id}/online-sale`, { state });
  if (answer.status !== 200) throw new Error(`online sale ${state} of ${plate}: HTTP ${answer.status}`);
}

/** The dealer changes the plate's ad by hand in Wayke (a patch body in Wayke's names). */
export async function handEdit(
  sim: WaykeSimulator,
  plate: string,
  body: { vehicle?: Record<string, unknown>; ad?: Record<string, unknown> },
): Promise<void> {
  const answer = await admin(sim, `ads/${adOf(sim, plate).id}/edit`, body);
  if (answer.status !== 200) throw new Error(`hand edit of ${plate}: HTTP ${answer.status}`);
}

/** The raw admin call, for tests of the routes themselves. */
export { admin as adminCall };
