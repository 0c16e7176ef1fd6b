// The embedded demo configuration used by `warden serve` when there is no config file: the two
// bundled demo upstreams (demo/), the shipped policies and the local development issuer.

import { fileURLToPath } from 'node:url';
import { buildConfig } from './load.ts';
import type { WardenConfig } from './schema.ts';

/** Repository root (this file lives in src/config/). */
export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `ticketsUrl` is where the in-process demo tickets upstream listens (Streamable HTTP); the
 * db upstream is spawned over stdio with the running node binary.
 */
export function demoConfig(opts: {
  ticketsUrl: string;
  host?: string;
  port?: number;
}): WardenConfig {
  return buildConfig(
    {
      listen: { host: opts.host ?? '127.0.0.1', port: opts.port ?? 8080 },
      auth: { demo: true, approval: { scope: 'approved:by:human', max_age_s: 300 } },
      policy: { path: `${PROJECT_ROOT}policies/`, entrypoint: 'mcp/authz/decision' },
      limits: { max_payload_bytes: 8192 },
      audit: { sinks: [{ type: 'stdout' }] },
      upstreams: [
        {
          name: 'tickets',
          url: opts.ticketsUrl,
          default_scope: 'jira:read',
          tools: { create_ticket: { scope: 'jira:write', destructive: true } },
        },
        {
          name: 'db',
          command: process.execPath,
          args: [`${PROJECT_ROOT}demo/db-server.js`],
          default_scope: 'postgres:query:readonly',
        },
      ],
    },
    '(demo)',
  );
}
