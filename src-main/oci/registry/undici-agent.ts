/**
 * undici's connection pool (`Agent`) without the rest of undici.
 * `import { Agent } from 'undici'` evaluates undici's whole index: fetch,
 * WebSocket, EventSource, the caches, cookies, mocks and interceptors, and
 * through them Node's own bundled copy of undici as well: about 0.1 s of CPU
 * at the start of every process that talks to a registry (measured with
 * process.cpuUsage: 150–190 ms for the index, 55–70 ms for the pool alone).
 * Ferry needs only the pool: every request goes out through its
 * `dispatch()` (response-body.ts), none through undici's request(), fetch
 * or anything else the index adds.
 *
 * The file is a public one of the package (it has no `exports` map, so any
 * file may be required) and has been at this path through undici 6 and 7;
 * a version that moves it fails every registry test at once.
 */
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent } from 'undici';

const requireFromHere = createRequire(import.meta.url);

/** undici's Agent class: a pool of keep-alive connections per origin, with TLS options, timeouts and dispatch(). */
export const Agent = requireFromHere('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;
/** An Agent instance. */
export type Agent = UndiciAgent;
