/** The import: fingerprints, the plan and its safety valve, apply, the use case and its report. */
export * from './fingerprint.js';
export * from './plan.js';
export * from './apply.js';
export * from './report.js';
export * from './import-dealer.js';
export * from './work-message.js';
export * from './errors.js';
