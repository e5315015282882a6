/**
 * Object tags the feed bucket's lifecycle rules expire by. A lifecycle filter takes one literal key
 * prefix, so `feeds/<any dealer>/reports/` cannot be a filter; the writers tag what may expire
 * instead. One home for the tags: the adapters that write them and the construct that filters on them.
 */
export interface ObjectTag {
  readonly Key: string;
  readonly Value: string;
}

/** Archived and rejected feeds (`archive/`, `rejected/`); kept `archiveRetentionDays`. */
export const ARCHIVED_TAG: ObjectTag = { Key: 'wayke-dms:archived', Value: 'true' };

/** Timestamped run reports (`reports/<ts>.json`; `latest.*` are never tagged and stay); kept `reportRetentionDays`. */
export const REPORT_TAG: ObjectTag = { Key: 'wayke-dms:expires', Value: 'report' };

/** Outbox event files (orders and leads carry personal data); kept `outboxRetentionDays`. */
export const OUTBOX_TAG: ObjectTag = { Key: 'wayke-dms:expires', Value: 'outbox' };

/** The `x-amz-tagging` form of a tag, for `PutObject`'s `Tagging` parameter. */
export function taggingHeader(tag: ObjectTag): string {
  return `${encodeURIComponent(tag.Key)}=${encodeURIComponent(tag.Value)}`;
}
