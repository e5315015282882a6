/** The webhook path's domain: Wayke event kinds, identity, routing, the DMS envelope and signing. */
export * from './schemas.js';
export * from './classify.js';
export * from './identity.js';
export * from './routing.js';
export * from './envelope.js';
export * from './signature.js';
export * from './credentials.js';
export * from './message.js';
export * from './ingest-webhook.js';
export * from './deliver-events.js';
