// Label values that come from a request are never the request's own strings: a client that
// may pick them picks the number of series (each a few hundred bytes of /metrics and of the
// scraper's memory, forever). Methods map to the protocol's known names, anything else to
// "other"; free-form values (policy reasons, written by the policy author but possibly
// quoting input) keep their first values up to a fixed count, then "other".

/** MCP methods (2025-11-25 and 2026-07-28 "Schema"), the names a label may carry as they are. */
const MCP_METHODS = new Set([
  'initialize',
  'ping',
  'server/discover',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/read',
  'resources/templates/list',
  'resources/subscribe',
  'resources/unsubscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'sampling/createMessage',
  'elicitation/create',
  'roots/list',
  'subscriptions/listen',
  'tasks/get',
  'tasks/result',
  'tasks/list',
  'tasks/cancel',
  'tasks/update',
  'notifications/initialized',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/message',
  'notifications/roots/list_changed',
  'notifications/resources/updated',
  'notifications/resources/list_changed',
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/elicitation/complete',
  'notifications/tasks/status',
  'notifications/subscriptions/acknowledged',
  // Not methods, but what the drop-in route labels a request without one by.
  'response',
  'GET',
  'POST',
  'DELETE',
]);

/** HTTP methods (RFC 9110 §9.3, RFC 5789). */
const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);

export const OTHER = 'other';

export const mcpMethodLabel = (m: string): string => (MCP_METHODS.has(m) ? m : OTHER);
export const httpMethodLabel = (m: string): string => (HTTP_METHODS.has(m) ? m : OTHER);

/** The first `max` distinct values pass (each at most `maxLength` characters), later ones are
 *  "other": a bound on the series however many distinct values arrive. */
export class BoundedValues {
  private readonly seen = new Set<string>();

  constructor(
    private readonly max: number,
    private readonly maxLength = 100,
  ) {}

  label(value: string): string {
    const v = value.slice(0, this.maxLength);
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(v);
    return v;
  }
}
