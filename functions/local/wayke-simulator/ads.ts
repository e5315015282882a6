/**
 * The dealer API's ads: create, read, find by plate, patch and status. An ad belongs to a branch;
 * a branch-scoped client gets 403 when it creates for another branch and 404 on that branch's ads.
 * A change that leaves the ad as it was does not bump `version` (and sends no webhook).
 */
import { randomUUID } from 'node:crypto';
import { mayActFor } from './auth.js';
import {
  check,
  CreateBodySchema,
  type FieldProblem,
  MANDATORY_PATHS,
  normalisePlate,
  type PatchBody,
  PatchBodySchema,
  StatusBodySchema,
} from './contract.js';
import { badRequest, forbiddenBranch, HttpAnswer, notFound, type Outcome } from './http.js';
import { checkMedia, type MediaList } from './media.js';
import { registryFacts } from './registry.js';
import type { SimulatorState } from './state.js';
import type { MutableAd, Token } from './types.js';

const clone = <T>(value: T): T => structuredClone(value);

/** `POST /vehicle` */
export function createAd(state: SimulatorState, token: Token, body: unknown): Outcome {
  const checked = check(CreateBodySchema, body, MANDATORY_PATHS);
  if (!checked.ok) return { answer: badRequest(checked.problems) };
  const input = checked.value;
  const mediaProblems = checkMedia(state, input.ad.media as MediaList | undefined, 'ad.media');
  if (mediaProblems.length > 0) return { answer: badRequest(mediaProblems) };
  if (!mayActFor(token, input.branch)) return { answer: forbiddenBranch() };
  const now = new Date().toISOString();
  const registrationNumber = normalisePlate(input.vehicle.registrationNumber as string);
  // What the dealer sent wins; the registry fills in what Wayke knows of the plate.
  const modelYear = typeof input.vehicle.modelYear === 'number' ? input.vehicle.modelYear : undefined;
  const vehicle = { ...registryFacts(registrationNumber, modelYear), ...input.vehicle, registrationNumber };
  const ad: MutableAd = {
    id: randomUUID(),
    branch: input.branch,
    marketCode: input.marketCode ?? 'SE',
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
  return found instanceof HttpAnswer ? found : new HttpAnswer(200, clone(found));
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
    ? new HttpAnswer(200, clone(ad))
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
  if (input.marketCode !== undefined) ad.marketCode = input.marketCode;
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
