import { MANDATORY_FIELDS, VehicleFieldSchemas, maxModelYear, type Vehicle, type VehicleField } from '../vehicle.js';
import type { FieldTarget, MileageUnit } from './fields.js';
import { firstIssue, isListField, listField } from './list-field.js';
import { moveVideoLinks } from './media.js';
import { PLAIN_SCALAR } from './plain-items.js';
import { show, toBoolean, toInteger, toKilometres, toKronor, toText, type Coerced } from './values.js';

export { listField, type ListField } from './list-field.js';

/** A problem with one field of one record. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
  /** A stable name for problems with the row's structure rather than a field's value. */
  readonly code?: RowProblemCode;
  /** The message in Swedish, where one is written (the row-structure problems). */
  readonly messageSv?: string;
}

/**
 * - `RAGGED_ROW`: a CSV row with more or fewer cells than the header;
 * - `UNBALANCED_QUOTE`: a quoted CSV cell spanning lines shaped like rows of the feed;
 * - `TOO_MANY_ITEMS`: a list field with more items than one vehicle can have.
 */
export type RowProblemCode = 'RAGGED_ROW' | 'UNBALANCED_QUOTE' | 'TOO_MANY_ITEMS';

/** What one record contributed, field by field, before coercion. */
export interface RawSlot {
  value: unknown;
  rank: number;
  unit: MileageUnit | undefined;
}
export type RawRecord = Partial<Record<VehicleField, RawSlot>>;

/** Puts a non-blank value into its field unless a better-ranked column already filled it. */
export function assign(record: RawRecord, target: FieldTarget, value: unknown): void {
  const current = record[target.field];
  if (current && current.rank <= target.rank) return;
  record[target.field] = { value, rank: target.rank, unit: target.unit };
}

export type RecordOutcome =
  | { readonly ok: true; readonly vehicle: Vehicle; readonly warnings: FieldProblem[] }
  | { readonly ok: false; readonly registrationNumber?: string; readonly errors: FieldProblem[] };

const OPTIONAL_PRICES = new Set<VehicleField>(['campaignPrice', 'oldPrice', 'leasingPrice']);
const MANDATORY = new Set<VehicleField>(MANDATORY_FIELDS);

/** Coerces a scalar field's raw value to the type its schema expects. */
function coerceScalar(field: VehicleField, slot: RawSlot): Coerced<unknown> {
  switch (field) {
    case 'price':
    case 'campaignPrice':
    case 'oldPrice':
    case 'leasingPrice':
      return toKronor(slot.value);
    case 'mileage':
      return toKilometres(slot.value, slot.unit ?? 'km');
    case 'modelYear':
      return toInteger(slot.value);
    case 'deductibleVat':
    case 'exchangeRight':
    case 'servicePlanFollowed':
      return toBoolean(slot.value);
    default:
      return toText(slot.value);
  }
}

/** The value as its schema outputs it: checked by hand when plainly valid (see `PLAIN_SCALAR`), else by zod. */
function validScalar(field: VehicleField, value: unknown): Coerced<unknown> {
  const plain = PLAIN_SCALAR[field]?.(value);
  if (plain !== undefined) return { ok: true, value: plain };
  const parsed = VehicleFieldSchemas[field].safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, message: firstIssue(parsed.error) };
}

/** Validates one scalar field; returns the value or the message for the dealer. */
function scalarField(field: VehicleField, slot: RawSlot, now: Date): Coerced<unknown> {
  const coerced = coerceScalar(field, slot);
  if (!coerced.ok) return coerced;
  const validated = validScalar(field, coerced.value);
  if (!validated.ok) return { ok: false, message: `"${show(slot.value)}" ${validated.message}` };
  if (field === 'modelYear' && (validated.value as number) > maxModelYear(now)) {
    return { ok: false, message: `"${show(slot.value)}" must be ${maxModelYear(now)} or earlier` };
  }
  return validated;
}

/** What one record is turned into, field by field. */
interface Building {
  readonly vehicle: Record<string, unknown>;
  readonly errors: FieldProblem[];
  readonly warnings: FieldProblem[];
}

/** The mandatory fields: each missing or invalid one is an error; returns the plate when it is valid. */
function mandatoryFields(record: RawRecord, now: Date, { vehicle, errors }: Building): string | undefined {
  let registrationNumber: string | undefined;
  for (const field of MANDATORY_FIELDS) {
    const slot = record[field];
    if (!slot) {
      errors.push({ field, message: 'is missing' });
      continue;
    }
    const result = scalarField(field, slot, now);
    if (result.ok) {
      vehicle[field] = result.value;
      if (field === 'registrationNumber') registrationNumber = result.value as string;
    } else errors.push({ field, message: result.message });
  }
  return registrationNumber;
}

/** One optional field: kept when valid, else dropped with a warning (a list drops only its bad items). */
function optionalField(field: VehicleField, slot: RawSlot, now: Date, { vehicle, errors, warnings }: Building): void {
  if (isListField(field)) {
    const items = listField(field, slot, warnings, errors);
    if (items) vehicle[field] = items;
    return;
  }
  const result = scalarField(field, slot, now);
  if (result.ok) vehicle[field] = result.value;
  // DMSs write 0 in an optional price column to mean "none": absent, not worth a warning.
  else if (!(OPTIONAL_PRICES.has(field) && isZero(coerceScalar(field, slot))))
    warnings.push({ field, message: `${result.message}; left out` });
}

const isZero = (coerced: Coerced<unknown>): boolean => coerced.ok && coerced.value === 0;

/**
 * Turns one record's raw fields into a vehicle. A missing or invalid mandatory field rejects the
 * record (every mandatory problem is listed); an invalid optional field is dropped with a warning.
 */
export function buildVehicle(record: RawRecord, now: Date): RecordOutcome {
  const building: Building = { vehicle: {}, errors: [], warnings: [] };
  const registrationNumber = mandatoryFields(record, now, building);
  for (const field in record) {
    const key = field as VehicleField;
    if (!MANDATORY.has(key)) optionalField(key, record[key]!, now, building);
  }
  moveVideoLinks(building.vehicle, building.warnings, building.errors);
  const { vehicle, errors, warnings } = building;
  if (errors.length > 0) return registrationNumber ? { ok: false, registrationNumber, errors } : { ok: false, errors };
  return { ok: true, vehicle: vehicle as Vehicle, warnings };
}
