import type { Capabilities } from './stacks/control-plane-stack';

/**
 * The capabilities the app deploys, from each capability's manifest
 * (functions/<capability>/manifest.ts). A capability whose manifest has not landed is absent.
 */
export const CAPABILITIES: Capabilities = {};
