/** The import: its steps (lease, read, plan and its safety valve, apply, record, report), the use case, its triggers and worker. */
export * from './fingerprint.js';
export * from './plan.js';
export * from './apply.js';
export * from './report.js';
export * from './lease.js';
export * from './read.js';
export * from './run-steps.js';
export * from './import-dealer.js';
export * from './scheduler.js';
export * from './worker.js';
export * from './work-message.js';
export * from './errors.js';
