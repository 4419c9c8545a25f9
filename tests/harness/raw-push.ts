/**
 * A minimal manifest PUT for the one thing skopeo 1.9 cannot seed: an OCI index
 * whose descriptors carry `artifactType` (the referrers tag-schema fallback
 * index). skopeo refuses it under --preserve-digests because its image-spec
 * types predate artifactType. This speaks just enough of the distribution spec
 * (PUT /v2/<name>/manifests/<ref>, Basic or Bearer auth) to do it; it is
 * harness code, not Ferry's client.
 */
import { Agent, fetch } from 'undici';
import type { Dispatcher, Response } from 'undici';
import type { RunningRegistry } from './registry.ts';
import type { SkopeoCreds } from './skopeo.ts';

function basic(creds: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
}

/** Parses `Bearer realm="..",service="..",scope=".."` (RFC 6750 §3 as the registry token spec uses it). */
export function parseBearerChallenge(header: string): Record<string, string> | null {
  const match = /^Bearer\s+(.*)$/i.exec(header.trim());
  if (!match?.[1]) return null;
  const params: Record<string, string> = {};
  for (const part of match[1].matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) {
    if (part[1] !== undefined && part[2] !== undefined) params[part[1]] = part[2];
  }
  return params;
}

/** PUTs manifest bytes under `reference` (tag or digest), answering one auth challenge if the registry asks. */
export async function putManifestRaw(registry: RunningRegistry, repository: string, reference: string, mediaType: string, body: Buffer, credsOverride?: SkopeoCreds): Promise<void> {
  const creds =
    credsOverride === undefined ? (registry.username !== undefined && registry.password !== undefined ? { username: registry.username, password: registry.password } : null) : credsOverride;
  const dispatcher: Dispatcher | undefined = registry.caPem ? new Agent({ connect: { ca: registry.caPem } }) : undefined;
  const url = `${registry.url}/v2/${repository}/manifests/${reference}`;
  try {
    const put = (authorization?: string): Promise<Response> =>
      fetch(url, {
        method: 'PUT',
        headers: { 'content-type': mediaType, ...(authorization ? { authorization } : {}) },
        body,
        ...(dispatcher ? { dispatcher } : {}),
      });
    let response = await put(registry.mode === 'tls-basic' && creds ? basic(creds) : undefined);
    if (response.status === 401) {
      const challenge = parseBearerChallenge(response.headers.get('www-authenticate') ?? '');
      await response.arrayBuffer();
      if (!challenge?.realm) throw new Error(`PUT ${url}: 401 without a Bearer challenge`);
      const tokenUrl = new URL(challenge.realm);
      if (challenge.service) tokenUrl.searchParams.set('service', challenge.service);
      tokenUrl.searchParams.set('scope', challenge.scope ?? `repository:${repository}:pull,push`);
      const tokenResponse = await fetch(tokenUrl, { headers: creds ? { authorization: basic(creds) } : {} });
      if (!tokenResponse.ok) throw new Error(`token request for ${repository} failed: ${tokenResponse.status}`);
      const token = (await tokenResponse.json()) as { token?: string; access_token?: string };
      response = await put(`Bearer ${token.token ?? token.access_token ?? ''}`);
    }
    if (response.status !== 201) throw new Error(`PUT ${url}: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  } finally {
    await dispatcher?.close();
  }
}
