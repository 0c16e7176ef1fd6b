// Types of the demo db upstream (a plain ESM JavaScript file so it runs without tsx).
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
export function createDbServer(): Server;
