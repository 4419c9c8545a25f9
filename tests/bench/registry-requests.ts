/**
 * Requests a registry answered during one run, read from Distribution's access
 * log (one `"METHOD /path HTTP/1.1" status` line per request): how the
 * benchmarks compare Ferry's requests per image with skopeo's without a proxy
 * in the path adding its own CPU and latency.
 */
import type { RunningRegistry } from '../harness/registry.ts';

/** Requests by kind ("HEAD blob", "PUT manifest", …) and in all. */
export interface RequestCounts {
  total: number;
  byKind: Map<string, number>;
}

const ACCESS_LINE = /"(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP\/[\d.]+"/g;

/** The kind of a registry API path: what the request was about, without repository names or digests. */
function kindOf(method: string, path: string): string {
  const at = path.split('?')[0] ?? path;
  if (at === '/v2/' || at === '/v2') return `${method} ping`;
  if (/\/blobs\/uploads\//.test(at)) return `${method} upload${path.includes('mount=') ? ' (mount)' : ''}`;
  if (/\/blobs\//.test(at)) return `${method} blob`;
  if (/\/manifests\//.test(at)) return `${method} manifest`;
  if (/\/tags\/list$/.test(at)) return `${method} tags`;
  if (/\/referrers\//.test(at)) return `${method} referrers`;
  return `${method} other`;
}

/** Counts the requests of an access-log excerpt. */
export function countRequests(log: string): RequestCounts {
  const byKind = new Map<string, number>();
  let total = 0;
  for (const match of log.matchAll(ACCESS_LINE)) {
    const kind = kindOf(match[1] ?? '', match[2] ?? '');
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    total += 1;
  }
  return { total, byKind };
}

/** Runs `work` and returns its result with the requests each registry answered meanwhile. */
export async function withRequestCounts<T>(registries: readonly RunningRegistry[], work: () => Promise<T>): Promise<{ result: T; requests: RequestCounts[] }> {
  const before = registries.map((r) => r.readLog().length);
  const result = await work();
  // Distribution writes the access line after the response; give the last lines a moment to reach the file.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { result, requests: registries.map((r, i) => countRequests(r.readLog().slice(before[i] ?? 0))) };
}

/** "3.0/image (HEAD blob 1.0, PUT manifest 1.0, …)": requests per image, biggest kinds first. */
export function perImage(counts: RequestCounts, images: number): string {
  const kinds = [...counts.byKind.entries()].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `${kind} ${(n / images).toFixed(2)}`);
  return `${(counts.total / images).toFixed(2)}/image (${kinds.join(', ')})`;
}
