// Types of bearer-preload.mjs (plain JavaScript: it runs on the suite's Node 22 without tsx).

/** Returns `headers` with `authorization: Bearer <value>` added unless one is present, in the
 * shape it came in (flat array, array of pairs, object; iterables become pairs). */
export function withBearer(headers: unknown, value: string): unknown;
