/**
 * Wire types of the Dify Workflow App API: the one description of what travels on the wire,
 * shared by the SDK (client/) and the local server (server/).
 */
export * from './common.js';
export * from './errors.js';
export * from './events.js';
export * from './parameters.js';
export * from './requests.js';
export * from './responses.js';
export * from './file-types.js';
