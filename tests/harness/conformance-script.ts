/**
 * ONE scripted sequence of raw HTTP requests covering every endpoint of the
 * OCI Distribution Specification v1.1 (end-1 … end-14), good and bad, sent the
 * same way to Debian's Distribution and to `ferry serve`. It returns a
 * normalised transcript (conformance-http.ts) that the conformance test diffs.
 * Steps follow the Location each registry hands out, so a difference early on
 * shows up where it starts and in what it breaks later.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#endpoints
 */
import { CHUNK_BYTES, CONFORMANCE_ARTIFACT_TYPE, conformanceContent } from './conformance-content.ts';
import type { ConformanceContent } from './conformance-content.ts';
import { openClient } from './conformance-http.ts';
import type { ConformanceTarget, StepRequest, StepResult, TranscriptEntry } from './conformance-http.ts';
import { MediaTypes } from './fixture-content.ts';
import type { Content } from './fixture-content.ts';

/** The repositories the script writes (fresh registries hold nothing else, so `_catalog` is predictable). */
export const CONFORMANCE_REPOS = {
  main: 'conformance/alpha',
  mountTarget: 'conformance/beta',
  other: 'conformance/gamma',
  tags: 'conformance/tags',
} as const;
/** Tags pushed for pagination, deliberately not in order; the spec wants them listed in lexical order. */
const PAGINATION_TAGS = ['t3', 't1', 'T0', 't2', 't4'];
/** Every manifest type a client of this registry accepts, as containerd sends them. */
const ACCEPT_ALL = [MediaTypes.ociManifest, MediaTypes.ociIndex, MediaTypes.dockerManifest, MediaTypes.dockerList].join(', ');

type Send = (step: string, req: StepRequest) => Promise<StepResult>;

/** Runs the whole script against one registry and returns its transcript; a target with credentials also gets the unauthenticated steps. */
export async function runConformanceScript(target: ConformanceTarget): Promise<TranscriptEntry[]> {
  const client = openClient(target);
  const transcript: TranscriptEntry[] = [];
  const send: Send = async (step, req) => {
    const result = await client.send(step, req);
    transcript.push(result.entry);
    return result;
  };
  try {
    const content = conformanceContent();
    await baseSteps(send, target.credentials !== undefined);
    await uploadSteps(send, content);
    await readBlobSteps(send, content);
    await mountSteps(send, content, target.credentials !== undefined);
    await manifestSteps(send, content);
    await listingSteps(send, content);
    await referrerSteps(send, content);
    await deleteSteps(send, content);
  } finally {
    await client.close();
  }
  return transcript;
}

const v2 = (repo: string, rest: string): string => `/v2/${repo}/${rest}`;
const octet = (extra: Record<string, string> = {}): Record<string, string> => ({ 'content-type': 'application/octet-stream', ...extra });

/** end-1, plus the Basic challenge when the registry has users. */
async function baseSteps(send: Send, withAuth: boolean): Promise<void> {
  await send('base', { method: 'GET', path: '/v2/' });
  if (!withAuth) return;
  await send('base/anonymous', { method: 'GET', path: '/v2/', auth: 'none' });
  await send('base/wrong-password', { method: 'GET', path: '/v2/', auth: 'wrong' });
  await send('manifest/anonymous', { method: 'GET', path: v2(CONFORMANCE_REPOS.main, 'manifests/latest'), auth: 'none' });
  await send('upload/anonymous', { method: 'POST', path: v2(CONFORMANCE_REPOS.main, 'blobs/uploads/'), auth: 'none', headers: { 'content-length': '0' } });
  await send('catalog/anonymous', { method: 'GET', path: '/v2/_catalog', auth: 'none' });
}

/** Starts an upload session and returns its Location (absolute or relative, as the registry gave it). */
async function startUpload(send: Send, step: string, repo: string): Promise<string> {
  const started = await send(step, { method: 'POST', path: v2(repo, 'blobs/uploads/'), headers: { 'content-length': '0' } });
  return started.location ?? v2(repo, 'blobs/uploads/missing-location');
}

/** Appends `digest=` to a session Location, keeping any query the registry put there (Distribution's `_state`). */
function withDigest(location: string, digest: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;
}

/**
 * An upload session as a client keeps it: every 202/204 may hand out a new
 * Location (Distribution's carries `_state`), and the next request must use it
 * (spec: "SHOULD use the <blob-push-location> provided in the response").
 */
class Session {
  constructor(
    private readonly send: Send,
    public location: string,
  ) {}

  /** Sends a request to the session URL (with `digest=` when given) and follows any new Location. */
  async step(step: string, req: Omit<StepRequest, 'path'>, digest?: string): Promise<StepResult> {
    const result = await this.send(step, { ...req, path: digest === undefined ? this.location : withDigest(this.location, digest) });
    if (result.location !== undefined && (result.entry.status === 202 || result.entry.status === 204)) this.location = result.location;
    return result;
  }
}

async function openSession(send: Send, step: string, repo: string): Promise<Session> {
  return new Session(send, await startUpload(send, step, repo));
}

/** end-4a/4b/5/6/13/14: monolithic, single POST, chunked, streamed, wrong offsets, wrong lengths, bad digests, cancel. */
async function uploadSteps(send: Send, c: ConformanceContent): Promise<void> {
  const repo = CONFORMANCE_REPOS.main;
  await send('upload/status-unknown-session', { method: 'GET', path: v2(repo, 'blobs/uploads/0c9a7f3e-3d27-4d2b-9a4e-5a1c0e1f2b3c') });

  let s = await openSession(send, 'upload/monolithic/post', repo);
  await s.step('upload/monolithic/put', { method: 'PUT', headers: octet(), body: c.layer.data }, c.layer.digest);
  await s.step('upload/monolithic/put-again-after-finish', { method: 'PUT', headers: octet(), body: c.layer.data }, c.layer.digest);

  s = await openSession(send, 'upload/digest-mismatch/post', repo);
  await s.step('upload/digest-mismatch/put', { method: 'PUT', headers: octet(), body: c.streamed.data }, c.absentDigest);
  await s.step('upload/digest-mismatch/status-after', { method: 'GET' });
  s = await openSession(send, 'upload/invalid-digest/post', repo);
  await s.step('upload/invalid-digest/put', { method: 'PUT', headers: octet(), body: c.streamed.data }, 'sha256:not-hex');
  s = await openSession(send, 'upload/unsupported-algorithm/post', repo);
  await s.step('upload/unsupported-algorithm/put', { method: 'PUT', headers: octet(), body: c.streamed.data }, `md5:${'0'.repeat(32)}`);

  await send('upload/single-post', { method: 'POST', path: `${v2(repo, 'blobs/uploads/')}?digest=${encodeURIComponent(c.single.digest)}`, headers: octet(), body: c.single.data });
  await send('upload/single-post/head', { method: 'HEAD', path: v2(repo, `blobs/${c.single.digest}`) });
  await send('upload/single-post-mismatch', { method: 'POST', path: `${v2(repo, 'blobs/uploads/')}?digest=${encodeURIComponent(c.absentDigest)}`, headers: octet(), body: c.streamed.data });

  const chunk = (i: number): Buffer => c.chunked.data.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES);
  const range = (i: number): string => `${i * CHUNK_BYTES}-${(i + 1) * CHUNK_BYTES - 1}`;
  s = await openSession(send, 'upload/chunked/post', repo);
  await s.step('upload/chunked/status-empty', { method: 'GET' });
  await s.step('upload/chunked/patch-0', { method: 'PATCH', headers: octet({ 'content-range': range(0) }), body: chunk(0) });
  await s.step('upload/chunked/status-after-0', { method: 'GET' });
  await s.step('upload/chunked/patch-1', { method: 'PATCH', headers: octet({ 'content-range': range(1) }), body: chunk(1) });
  await s.step('upload/chunked/put-final', { method: 'PUT', headers: octet({ 'content-range': range(2) }), body: chunk(2) }, c.chunked.digest);
  await send('upload/chunked/head', { method: 'HEAD', path: v2(repo, `blobs/${c.chunked.digest}`) });

  // Each refusal in its own session, so one registry's leniency does not cascade into the next step.
  s = await openSession(send, 'upload/wrong-offset/post', repo);
  await s.step('upload/wrong-offset/patch-0', { method: 'PATCH', headers: octet({ 'content-range': range(0) }), body: chunk(0) });
  await s.step('upload/wrong-offset/patch-overlapping', { method: 'PATCH', headers: octet({ 'content-range': `${CHUNK_BYTES / 2}-${CHUNK_BYTES * 1.5 - 1}` }), body: chunk(1) });
  await s.step('upload/wrong-offset/status-after', { method: 'GET' });
  s = await openSession(send, 'upload/gap/post', repo);
  await s.step('upload/gap/patch-skipping-first-chunk', { method: 'PATCH', headers: octet({ 'content-range': range(1) }), body: chunk(1) });
  s = await openSession(send, 'upload/wrong-length/post', repo);
  await s.step('upload/wrong-length/patch-range-longer-than-body', { method: 'PATCH', headers: octet({ 'content-range': `0-${CHUNK_BYTES * 2 - 1}` }), body: chunk(0) });
  await s.step('upload/wrong-length/status-after', { method: 'GET' });
  s = await openSession(send, 'upload/final-wrong-offset/post', repo);
  await s.step('upload/final-wrong-offset/patch-0', { method: 'PATCH', headers: octet({ 'content-range': range(0) }), body: chunk(0) });
  await s.step('upload/final-wrong-offset/put', { method: 'PUT', headers: octet({ 'content-range': range(0) }), body: chunk(2) }, c.chunked.digest);

  s = await openSession(send, 'upload/streamed/post', repo);
  await s.step('upload/streamed/patch', { method: 'PATCH', headers: octet(), body: c.streamed.data });
  await s.step('upload/streamed/put-empty', { method: 'PUT', headers: { 'content-length': '0' } }, c.streamed.digest);

  // A session belongs to the repository it was opened in: its id under another name must not reach it.
  s = await openSession(send, 'upload/other-repository/post', repo);
  const foreign = new Session(send, s.location.replace(`/v2/${repo}/`, `/v2/${CONFORMANCE_REPOS.other}/`));
  await foreign.step('upload/other-repository/status', { method: 'GET' });
  await foreign.step('upload/other-repository/put', { method: 'PUT', headers: octet(), body: c.streamed.data }, c.streamed.digest);

  s = await openSession(send, 'upload/cancel/post', repo);
  await s.step('upload/cancel/patch', { method: 'PATCH', headers: octet(), body: c.streamed.data });
  await s.step('upload/cancel/delete', { method: 'DELETE' });
  await s.step('upload/cancel/status-after', { method: 'GET' });
  await s.step('upload/cancel/delete-again', { method: 'DELETE' });

  for (const blob of [c.config, c.dockerConfig, c.empty]) {
    s = await openSession(send, `upload/setup/${blob.mediaType}/post`, repo);
    await s.step(`upload/setup/${blob.mediaType}/put`, { method: 'PUT', headers: octet(), body: blob.data }, blob.digest);
  }
}

/** end-2 with Range (RFC 9110 §14): whole, first bytes, open-ended, suffix, past the end; unknown and malformed digests. */
async function readBlobSteps(send: Send, c: ConformanceContent): Promise<void> {
  const repo = CONFORMANCE_REPOS.main;
  const blob = v2(repo, `blobs/${c.layer.digest}`);
  await send('blob/head', { method: 'HEAD', path: blob });
  await send('blob/get', { method: 'GET', path: blob, bodyAs: 'digest' });
  await send('blob/range-first', { method: 'GET', path: blob, headers: { range: 'bytes=0-99' }, bodyAs: 'digest' });
  await send('blob/range-open-ended', { method: 'GET', path: blob, headers: { range: `bytes=${c.layer.size - 100}-` }, bodyAs: 'digest' });
  await send('blob/range-suffix', { method: 'GET', path: blob, headers: { range: 'bytes=-50' }, bodyAs: 'digest' });
  await send('blob/range-end-past-size', { method: 'GET', path: blob, headers: { range: `bytes=900-${c.layer.size + 500}` }, bodyAs: 'digest' });
  await send('blob/range-unsatisfiable', { method: 'GET', path: blob, headers: { range: `bytes=${c.layer.size}-` } });
  await send('blob/range-malformed', { method: 'GET', path: blob, headers: { range: 'bytes=abc' }, bodyAs: 'digest' });
  await send('blob/get-unknown', { method: 'GET', path: v2(repo, `blobs/${c.absentDigest}`) });
  await send('blob/head-unknown', { method: 'HEAD', path: v2(repo, `blobs/${c.absentDigest}`) });
  await send('blob/get-other-repository', { method: 'GET', path: v2(CONFORMANCE_REPOS.other, `blobs/${c.layer.digest}`) });
  await send('blob/get-invalid-digest', { method: 'GET', path: v2(repo, 'blobs/sha256:xyz') });
  await send('blob/get-invalid-name', { method: 'GET', path: `/v2/Conformance/UPPER/blobs/${c.layer.digest}` });
}

/** end-11: a mount from a repository holding the blob, from one without it, without `from`, and without credentials. */
async function mountSteps(send: Send, c: ConformanceContent, withAuth: boolean): Promise<void> {
  const into = CONFORMANCE_REPOS.mountTarget;
  const mount = (from: string | undefined): string => `${v2(into, 'blobs/uploads/')}?mount=${encodeURIComponent(c.layer.digest)}${from !== undefined ? `&from=${encodeURIComponent(from)}` : ''}`;
  // gamma exists (it gets the streamed blob) but never had the layer: a mount must not link what the source cannot read.
  const seed = await openSession(send, 'mount/setup-other/post', CONFORMANCE_REPOS.other);
  await seed.step('mount/setup-other/put', { method: 'PUT', headers: octet(), body: c.streamed.data }, c.streamed.digest);
  if (withAuth) await send('mount/anonymous', { method: 'POST', path: mount(CONFORMANCE_REPOS.main), auth: 'none', headers: { 'content-length': '0' } });
  await send('mount/from-repository-without-blob', { method: 'POST', path: mount(CONFORMANCE_REPOS.other), headers: { 'content-length': '0' } });
  await send('mount/from-unknown-repository', { method: 'POST', path: mount('conformance/nowhere'), headers: { 'content-length': '0' } });
  await send('mount/after-refused-mounts/head', { method: 'HEAD', path: v2(into, `blobs/${c.layer.digest}`) });
  await send('mount/without-from', { method: 'POST', path: mount(undefined), headers: { 'content-length': '0' } });
  await send('mount/from-holder', { method: 'POST', path: mount(CONFORMANCE_REPOS.main), headers: { 'content-length': '0' } });
  await send('mount/head-mounted', { method: 'HEAD', path: v2(into, `blobs/${c.layer.digest}`) });
  await send('mount/unknown-digest', {
    method: 'POST',
    path: `${v2(into, 'blobs/uploads/')}?mount=${encodeURIComponent(c.absentDigest)}&from=${CONFORMANCE_REPOS.main}`,
    headers: { 'content-length': '0' },
  });
}

function putManifest(send: Send, step: string, repo: string, reference: string, m: Content, contentType: string = m.mediaType): Promise<StepResult> {
  return send(step, { method: 'PUT', path: v2(repo, `manifests/${reference}`), headers: { 'content-type': contentType }, body: m.data });
}

/** end-3, end-7: push by tag and digest, refusals, content negotiation, subject, size limit. */
async function manifestSteps(send: Send, c: ConformanceContent): Promise<void> {
  const repo = CONFORMANCE_REPOS.main;
  await send('manifest/get-unknown-repository', { method: 'GET', path: v2('conformance/nowhere', 'manifests/latest'), headers: { accept: ACCEPT_ALL } });
  await send('manifest/get-unknown-tag-before-push', { method: 'GET', path: v2(repo, 'manifests/latest'), headers: { accept: ACCEPT_ALL } });
  await putManifest(send, 'manifest/put-missing-blob', repo, 'broken', c.missingBlobManifest);
  await putManifest(send, 'manifest/put-index-missing-child', repo, 'broken-index', c.missingChildIndex);
  await send('manifest/put-not-json', { method: 'PUT', path: v2(repo, 'manifests/garbage'), headers: { 'content-type': MediaTypes.ociManifest }, body: Buffer.from('{not json') });
  await putManifest(send, 'manifest/put-digest-mismatch', repo, c.index.digest, c.manifest);
  await putManifest(send, 'manifest/put-invalid-tag', repo, '-bad-tag', c.manifest);
  await putManifest(send, 'manifest/put-oversized', repo, 'oversized', c.oversizedManifest);
  await putManifest(send, 'manifest/put-content-type-mismatch', repo, 'mismatch', c.manifest, MediaTypes.dockerManifest);
  await send('manifest/put-without-content-type', { method: 'PUT', path: v2(repo, 'manifests/untyped'), body: c.manifest.data });
  await putManifest(send, 'manifest/put-by-tag', repo, 'latest', c.manifest);
  await putManifest(send, 'manifest/put-by-digest', repo, c.manifest.digest, c.manifest);
  await putManifest(send, 'manifest/put-docker-by-tag', repo, 'docker', c.dockerManifest);
  await putManifest(send, 'manifest/put-index-by-tag', repo, 'index', c.index);
  await send('manifest/get-by-tag', { method: 'GET', path: v2(repo, 'manifests/latest'), headers: { accept: ACCEPT_ALL }, bodyAs: 'digest' });
  await send('manifest/head-by-tag', { method: 'HEAD', path: v2(repo, 'manifests/latest'), headers: { accept: ACCEPT_ALL } });
  await send('manifest/get-by-digest', { method: 'GET', path: v2(repo, `manifests/${c.manifest.digest}`), headers: { accept: ACCEPT_ALL }, bodyAs: 'digest' });
  await send('manifest/head-by-digest', { method: 'HEAD', path: v2(repo, `manifests/${c.manifest.digest}`), headers: { accept: ACCEPT_ALL } });
  await send('manifest/get-docker', { method: 'GET', path: v2(repo, 'manifests/docker'), headers: { accept: ACCEPT_ALL }, bodyAs: 'digest' });
  await send('manifest/get-index', { method: 'GET', path: v2(repo, 'manifests/index'), headers: { accept: ACCEPT_ALL }, bodyAs: 'digest' });
  await send('manifest/get-without-accept', { method: 'GET', path: v2(repo, 'manifests/latest'), bodyAs: 'digest' });
  await send('manifest/get-oci-accepting-docker-only', { method: 'GET', path: v2(repo, 'manifests/latest'), headers: { accept: MediaTypes.dockerManifest }, bodyAs: 'digest' });
  await send('manifest/get-unknown-tag', { method: 'GET', path: v2(repo, 'manifests/nope'), headers: { accept: ACCEPT_ALL } });
  await send('manifest/get-unknown-digest', { method: 'GET', path: v2(repo, `manifests/${c.absentDigest}`), headers: { accept: ACCEPT_ALL } });
  await send('manifest/head-unknown-tag', { method: 'HEAD', path: v2(repo, 'manifests/nope'), headers: { accept: ACCEPT_ALL } });
  await send('manifest/get-invalid-name', { method: 'GET', path: '/v2/Conformance/UPPER/manifests/latest', headers: { accept: ACCEPT_ALL } });
  await send('manifest/get-by-digest-in-other-repository', { method: 'GET', path: v2(CONFORMANCE_REPOS.other, `manifests/${c.manifest.digest}`), headers: { accept: ACCEPT_ALL } });
  await putManifest(send, 'manifest/put-referrer-dangling-subject', repo, c.danglingReferrer.digest, c.danglingReferrer);
  await putManifest(send, 'manifest/put-referrer', repo, c.referrer.digest, c.referrer);
}

/** end-8a/8b and `_catalog`: full lists, `n`, `last`, `n=0`, unknown repository. */
async function listingSteps(send: Send, c: ConformanceContent): Promise<void> {
  const repo = CONFORMANCE_REPOS.tags;
  for (const blob of [c.config, c.layer]) {
    await send(`tags/setup/mount-${blob.digest.slice(7, 15)}`, {
      method: 'POST',
      path: `${v2(repo, 'blobs/uploads/')}?mount=${encodeURIComponent(blob.digest)}&from=${CONFORMANCE_REPOS.main}`,
      headers: { 'content-length': '0' },
    });
  }
  for (const tag of PAGINATION_TAGS) await putManifest(send, `tags/setup/put-${tag}`, repo, tag, c.manifest);
  await send('tags/list', { method: 'GET', path: v2(repo, 'tags/list'), bodyAs: 'json' });
  await send('tags/list-n2', { method: 'GET', path: `${v2(repo, 'tags/list')}?n=2`, bodyAs: 'json' });
  await send('tags/list-n2-last', { method: 'GET', path: `${v2(repo, 'tags/list')}?n=2&last=t1`, bodyAs: 'json' });
  await send('tags/list-last-only', { method: 'GET', path: `${v2(repo, 'tags/list')}?last=t2`, bodyAs: 'json' });
  await send('tags/list-n-past-end', { method: 'GET', path: `${v2(repo, 'tags/list')}?n=10&last=t3`, bodyAs: 'json' });
  await send('tags/list-n0', { method: 'GET', path: `${v2(repo, 'tags/list')}?n=0`, bodyAs: 'json' });
  await send('tags/list-unknown-repository', { method: 'GET', path: v2('conformance/nowhere', 'tags/list') });
  await send('catalog', { method: 'GET', path: '/v2/_catalog', bodyAs: 'json' });
  await send('catalog/n2', { method: 'GET', path: '/v2/_catalog?n=2', bodyAs: 'json' });
  await send('catalog/n2-last', { method: 'GET', path: `/v2/_catalog?n=2&last=${CONFORMANCE_REPOS.mountTarget}`, bodyAs: 'json' });
  await send('catalog/n0', { method: 'GET', path: '/v2/_catalog?n=0', bodyAs: 'json' });
}

/** end-12a/12b: the referrers API, filtered and not, for a subject with and without referrers. */
async function referrerSteps(send: Send, c: ConformanceContent): Promise<void> {
  const repo = CONFORMANCE_REPOS.main;
  const path = v2(repo, `referrers/${c.manifest.digest}`);
  await send('referrers/list', { method: 'GET', path, bodyAs: 'json' });
  await send('referrers/filtered-match', { method: 'GET', path: `${path}?artifactType=${encodeURIComponent(CONFORMANCE_ARTIFACT_TYPE)}`, bodyAs: 'json' });
  await send('referrers/filtered-none', { method: 'GET', path: `${path}?artifactType=${encodeURIComponent('application/vnd.ferry.other')}`, bodyAs: 'json' });
  await send('referrers/none', { method: 'GET', path: v2(repo, `referrers/${c.index.digest}`), bodyAs: 'json' });
  await send('referrers/invalid-digest', { method: 'GET', path: v2(repo, 'referrers/sha256:xyz') });
}

/** end-9, end-10: tag, manifest and blob deletes, and what is gone afterwards. */
async function deleteSteps(send: Send, c: ConformanceContent): Promise<void> {
  const repo = CONFORMANCE_REPOS.main;
  const accept = { accept: ACCEPT_ALL };
  await send('delete/tag', { method: 'DELETE', path: v2(repo, 'manifests/docker') });
  await send('delete/tag/get-after', { method: 'GET', path: v2(repo, 'manifests/docker'), headers: accept });
  await send('delete/tag/manifest-by-digest-kept', { method: 'HEAD', path: v2(repo, `manifests/${c.dockerManifest.digest}`), headers: accept });
  await send('delete/manifest-by-digest', { method: 'DELETE', path: v2(repo, `manifests/${c.index.digest}`) });
  await send('delete/manifest-by-digest/get-after', { method: 'GET', path: v2(repo, `manifests/${c.index.digest}`), headers: accept });
  await send('delete/manifest-by-digest/tag-after', { method: 'GET', path: v2(repo, 'manifests/index'), headers: accept });
  await send('delete/manifest-unknown', { method: 'DELETE', path: v2(repo, `manifests/${c.absentDigest}`) });
  await send('delete/manifest-unknown-repository', { method: 'DELETE', path: v2('conformance/nowhere', `manifests/${c.absentDigest}`) });
  await send('delete/tags-after', { method: 'GET', path: v2(repo, 'tags/list'), bodyAs: 'json' });
  await send('delete/blob', { method: 'DELETE', path: v2(CONFORMANCE_REPOS.mountTarget, `blobs/${c.layer.digest}`) });
  await send('delete/blob/head-after', { method: 'HEAD', path: v2(CONFORMANCE_REPOS.mountTarget, `blobs/${c.layer.digest}`) });
  await send('delete/blob/other-repository-kept', { method: 'HEAD', path: v2(repo, `blobs/${c.layer.digest}`) });
  await send('delete/blob-unknown', { method: 'DELETE', path: v2(repo, `blobs/${c.absentDigest}`) });
}
