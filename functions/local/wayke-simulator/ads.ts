/**
 * The dealer API's ads: create, read, find by plate, patch and status. An ad belongs to a branch;
 * a branch-scoped client gets 403 when it creates for another branch and 404 on that branch's ads.
 * A change that leaves the ad as it was does not bump `version` (and sends no webhook).
 *
 * Markets: an ad is in its branch's market (a create with another `marketCode` is refused, and
 * a patch cannot move it); its `vehicle.mileage` is in that market's unit, and the ad keeps the
 * reading with its unit as Wayke's read side shows it (`vehicle.odometerReading`).
 */
import { randomUUID } from 'node:crypto';
import { mayActFor } from './auth.js';
import {
  check,
  CreateBodySchema,
  type FieldProblem,
  MANDATORY_PATHS,
  normalisePlate,
  ODOMETER_READING,
  type PatchBody,
  PatchBodySchema,
  SIM_ODOMETER_UNIT,
  type SimMarket,
  StatusBodySchema,
} from './contract.js';
import { badRequest, forbiddenBranch, HttpAnswer, notFound, type Outcome } from './http.js';
import { checkMedia, type MediaList, readableAd } from './media.js';
import { registryFacts } from './registry.js';
import type { SimulatorState } from './state.js';
import type { MutableAd, Token } from './types.js';

const clone = <T>(value: T): T => structuredClone(value);

/** A `marketCode` that is not the branch's, as the 400 names it. */
function wrongMarket(sent: string, branch: string, market: SimMarket): FieldProblem[] {
  return [{ field: 'marketCode', message: `is ${sent}, but branch ${branch} sells in market ${market}` }];
}

/** The odometer as the read side shows it: the write-side value with the unit of the ad's market. */
function withOdometerReading(vehicle: Record<string, unknown>, market: string): void {
  const unit = SIM_ODOMETER_UNIT[market as SimMarket];
  if (typeof vehicle.mileage === 'number' && unit) vehicle[ODOMETER_READING] = { value: vehicle.mileage, unit };
}

/** `POST /vehicle` */
export function createAd(state: SimulatorState, token: Token, body: unknown): Outcome {
  const checked = check(CreateBodySchema, body, MANDATORY_PATHS);
  if (!checked.ok) return { answer: badRequest(checked.problems) };
  const input = checked.value;
  const mediaProblems = checkMedia(state, input.ad.media as MediaList | undefined, 'ad.media');
  if (mediaProblems.length > 0) return { answer: badRequest(mediaProblems) };
  if (!mayActFor(token, input.branch)) return { answer: forbiddenBranch() };
  const market = state.marketOf(input.branch);
  if (input.marketCode !== undefined && input.marketCode !== market)
    return { answer: badRequest(wrongMarket(input.marketCode, input.branch, market)) };
  const now = new Date().toISOString();
  const registrationNumber = normalisePlate(input.vehicle.registrationNumber as string);
  // What the dealer sent wins; the registry fills in what Wayke knows of the plate.
  const modelYear = typeof input.vehicle.modelYear === 'number' ? input.vehicle.modelYear : undefined;
  const vehicle = { ...registryFacts(registrationNumber, modelYear), ...input.vehicle, registrationNumber };
  withOdometerReading(vehicle, market);
  const ad: MutableAd = {
    id: randomUUID(),
    branch: input.branch,
    marketCode: market,
    status: input.status ?? 'Published',
    vehicle,
    ad: { ...input.ad },
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  state.ads.set(ad.id, ad);
  state.indexPlate(vehicle.registrationNumber, ad.id);
  return {
    answer: new HttpAnswer(201, { id: ad.id }, { location: `${state.baseUrl}/dealer/vehicle/${ad.id}/ad` }),
    changed: ad,
  };
}

/** The ad `id` (as in the path, still escaped) if the caller may see it, else the 404. */
export function ownAd(state: SimulatorState, token: Token, id: string): MutableAd | HttpAnswer {
  const ad = state.ads.get(decodeURIComponent(id));
  if (!ad || !mayActFor(token, ad.branch)) return notFound(`Vehicle ${id}`);
  return ad;
}

/** `GET /vehicle/{id}/ad` */
export function readAd(state: SimulatorState, token: Token, id: string): HttpAnswer {
  const found = ownAd(state, token, id);
  return found instanceof HttpAnswer ? found : new HttpAnswer(200, readableAd(state, found));
}

/** `GET /vehicle/{branchId}/vehicle/by-registration-number/{registrationNumber}` (both still escaped). */
export function findByPlate(state: SimulatorState, token: Token, branchId: string, plate: string): HttpAnswer {
  const branch = decodeURIComponent(branchId);
  if (!mayActFor(token, branch)) return forbiddenBranch();
  const candidates = (state.adsByPlate.get(normalisePlate(decodeURIComponent(plate))) ?? [])
    .map((id) => state.ads.get(id))
    .filter((ad): ad is MutableAd => ad !== undefined && ad.branch === branch);
  // Several ads for one plate (duplicates): the newest live one, else the newest.
  const live = candidates.filter((ad) => ad.status !== 'Deleted');
  const ad = (live.length > 0 ? live : candidates).at(-1);
  return ad
    ? new HttpAnswer(200, readableAd(state, ad))
    : notFound(`Vehicle with registration number ${plate} in branch ${branchId}`);
}

/** A mandatory field sent as `null` in a patch: clearing it is refused, before the schema speaks. */
function clearedMandatoryFields(body: unknown): FieldProblem[] {
  const nulls: FieldProblem[] = [];
  for (const path of MANDATORY_PATHS) {
    const [section, key] = path.split('.') as [string, string | undefined];
    const value = key
      ? ((body as Record<string, Record<string, unknown> | undefined> | null)?.[section] ?? undefined)?.[key]
      : (body as Record<string, unknown> | null)?.[section];
    if (value === null) nulls.push({ field: path, message: 'is required and cannot be cleared' });
  }
  return nulls;
}

const fingerprint = (ad: MutableAd): string => JSON.stringify([ad.status, ad.vehicle, ad.ad, ad.marketCode]);

/** Applies a checked patch: `null` removes a field, a new plate moves the ad in the plate index. */
function applyPatch(state: SimulatorState, ad: MutableAd, input: PatchBody): void {
  const oldPlate = ad.vehicle.registrationNumber as string;
  for (const section of ['vehicle', 'ad'] as const) {
    for (const [key, value] of Object.entries(input[section] ?? {})) {
      if (value === undefined) continue;
      if (value === null) delete ad[section][key];
      else ad[section][key] = key === 'registrationNumber' ? normalisePlate(value as string) : clone(value);
    }
  }
  if (input.status !== undefined) ad.status = input.status;
  withOdometerReading(ad.vehicle, ad.marketCode);
  const newPlate = ad.vehicle.registrationNumber as string;
  if (newPlate !== oldPlate) {
    state.unindexPlate(oldPlate, ad.id);
    state.indexPlate(newPlate, ad.id);
  }
}

/**
 * An ad a buyer holds through the online sale (reserved, or sold through it) takes no change from
 * the dealer API: Wayke answers 409, which is what makes a race between the import's read and its
 * change end as "held" rather than as a lost reservation.
 */
function heldByOnlineSale(ad: MutableAd): HttpAnswer | null {
  if (ad.ecommerce?.reserved !== true) return null;
  const what = ad.status === 'Sold' ? 'sold' : 'reserved';
  return new HttpAnswer(409, { message: `Vehicle ${ad.id} is ${what} through the online sale and cannot be changed` });
}

/** `PATCH /vehicle/{id}` */
export function patchAd(state: SimulatorState, token: Token, id: string, body: unknown): Outcome {
  const found = ownAd(state, token, id);
  if (found instanceof HttpAnswer) return { answer: found };
  const held = heldByOnlineSale(found);
  if (held) return { answer: held };
  const nulls = clearedMandatoryFields(body);
  if (nulls.length > 0) return { answer: badRequest(nulls) };
  const checked = check(PatchBodySchema, body);
  if (!checked.ok) return { answer: badRequest(checked.problems) };
  const input = checked.value;
  if (input.branch !== undefined && input.branch !== found.branch)
    return { answer: badRequest([{ field: 'branch', message: 'cannot be changed' }]) };
  if (input.marketCode !== undefined && input.marketCode !== found.marketCode)
    return {
      answer: badRequest([{ field: 'marketCode', message: `cannot be changed (the ad is in ${found.marketCode})` }]),
    };
  const mediaProblems = checkMedia(state, input.ad?.media as MediaList | null | undefined, 'ad.media');
  if (mediaProblems.length > 0) return { answer: badRequest(mediaProblems) };
  const before = fingerprint(found);
  applyPatch(state, found, input);
  if (fingerprint(found) === before) return { answer: new HttpAnswer(204) };
  found.updatedAt = new Date().toISOString();
  found.version += 1;
  return { answer: new HttpAnswer(204), changed: found };
}

/** `PUT /vehicle/{id}/ad/status` */
export function setStatus(state: SimulatorState, token: Token, id: string, body: unknown): Outcome {
  const found = ownAd(state, token, id);
  if (found instanceof HttpAnswer) return { answer: found };
  const held = heldByOnlineSale(found);
  if (held) return { answer: held };
  const checked = check(StatusBodySchema, body);
  if (!checked.ok) return { answer: badRequest(checked.problems) };
  if (found.status === checked.value.status) return { answer: new HttpAnswer(204) };
  found.status = checked.value.status;
  found.updatedAt = new Date().toISOString();
  found.version += 1;
  return { answer: new HttpAnswer(204), changed: found };
}
