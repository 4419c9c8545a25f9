/**
 * Blob upload endpoints of `ferry serve`: POST `/v2/<name>/blobs/uploads/`
 * (a session, a single-request monolithic push with `?digest=`, or a
 * cross-repository mount with `?mount=&from=`), then PATCH chunks, PUT to
 * finish, GET for the offset and DELETE to cancel the session. Request
 * bodies stream into the storage (which fsyncs before it answers), never
 * whole in memory. https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pushing-blobs
 */
import type { ServerResponse } from 'node:http';
import { RegistryProblem } from './problems.ts';
import { problemOf, sendEmpty, sendError } from './http-answer.ts';
import { bodyStream, discardBody, hasBody } from './request-body.ts';
import { checkDigest, writable, type RouteContext } from './route-context.ts';
import { registryPath } from './routes-path.ts';
import { checkRepositoryName } from './store-layout.ts';
import type { RegistryStorage, UploadState } from './storage.ts';

/**
 * What an upload id in a path may look like before it reaches the storage:
 * the ids the store hands out are URL-safe, and anything else (`..`, odd
 * characters) can only be a forged path.
 */
const UPLOAD_ID = /^[A-Za-z0-9][A-Za-z0-9_.=-]{0,127}$/;

/** The headers that tell a client where its session is and how much it holds (spec: `Range: 0-<end>`, Distribution's `0-0` when empty). */
function sessionHeaders(state: UploadState): Record<string, string> {
  return {
    Location: registryPath(state.repository, 'blobs', 'uploads', state.id),
    Range: `0-${Math.max(0, state.offset - 1)}`,
    'Docker-Upload-UUID': state.id,
  };
}

/** The error for a session the storage does not know (finished, cancelled or never opened). */
function unknownUpload(name: string, id: string): RegistryProblem {
  return new RegistryProblem('BLOB_UPLOAD_UNKNOWN', `upload ${id} is not open in repository ${name}`, { detail: { id } });
}

/** The open session `id` of repository `name`, or BLOB_UPLOAD_UNKNOWN (404, and the limiter stops counting it). */
async function openSession(context: RouteContext, storage: RegistryStorage, name: string, id: string): Promise<UploadState> {
  const state = UPLOAD_ID.test(id) ? await storage.uploadStatus(name, id) : undefined;
  if (state === undefined) {
    context.uploads.forget(id);
    throw unknownUpload(name, id);
  }
  return state;
}

/**
 * Where a chunk's `Content-Range: <start>-<end>` says it starts and how long
 * it is, or undefined when the header is absent (a streamed chunk, appended
 * at the session's offset). A range that disagrees with Content-Length is
 * refused with SIZE_INVALID before a byte is appended; a chunked body is held
 * to the range's length as it streams (request-body.ts).
 */
function chunkRange(context: RouteContext): { start: number; length: number } | undefined {
  const header = context.request.headers['content-range'];
  if (header === undefined) return undefined;
  const match = /^(?:bytes[= ])?(\d+)-(\d+)(?:\/\d+|\/\*)?$/.exec(header.trim());
  if (!match) throw new RegistryProblem('BLOB_UPLOAD_INVALID', `Content-Range "${header}" is not <start>-<end>`, { detail: { contentRange: header } });
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start) throw new RegistryProblem('BLOB_UPLOAD_INVALID', `Content-Range "${header}" ends before it starts`, { detail: { contentRange: header } });
  const length = context.request.headers['content-length'];
  // The spec's code for "provided length did not match content length" (code-10), as Distribution 3 answers; nothing is appended.
  if (length !== undefined && Number(length) !== end - start + 1) {
    throw new RegistryProblem('SIZE_INVALID', `Content-Range "${header}" announces ${end - start + 1} bytes but Content-Length is ${length}`, {
      detail: { contentRange: header, contentLength: Number(length) },
    });
  }
  return { start, length: end - start + 1 };
}

/** Answers 416 for a chunk that does not start at the session's offset, with the session's headers so the client can resume. */
async function sendOutOfOrder(context: RouteContext, storage: RegistryStorage, name: string, id: string, error: unknown): Promise<void> {
  const state = await storage.uploadStatus(name, id);
  const problem = problemOf(error) ?? new RegistryProblem('RANGE_INVALID', `chunk out of order for upload ${id}`);
  sendError(context.request, context.response, problem, state ? sessionHeaders(state) : {});
}

/** Appends the request's body as one range-checked chunk, turning an out-of-order chunk into the 416 answer. */
async function appendChecked(context: RouteContext, storage: RegistryStorage, state: UploadState): Promise<UploadState | undefined> {
  const range = chunkRange(context);
  const start = range?.start;
  if (start !== undefined && start !== state.offset) {
    await sendOutOfOrder(
      context,
      storage,
      state.repository,
      state.id,
      new RegistryProblem('RANGE_INVALID', `upload ${state.id} holds ${state.offset} bytes; a chunk starting at ${start} is out of order`, { detail: { offset: state.offset } }),
    );
    return undefined;
  }
  try {
    const chunk = bodyStream(context.request, `upload ${state.id} to ${state.repository}`, range?.length);
    return await storage.appendUpload(state.repository, state.id, state.offset, chunk);
  } catch (error) {
    if (problemOf(error)?.code !== 'RANGE_INVALID') throw error;
    await sendOutOfOrder(context, storage, state.repository, state.id, error);
    return undefined;
  }
}

/** The 201 of a blob that is now in the repository. */
function sendCreatedBlob(response: ServerResponse, name: string, digest: string): void {
  sendEmpty(response, 201, { Location: registryPath(name, 'blobs', digest), 'Docker-Content-Digest': digest });
}

/** POST: mount, single-request push, or a new session (202). */
async function postUpload(context: RouteContext, name: string): Promise<void> {
  const storage = writable(context, 'pushing a blob');
  const { query, request, response } = context;
  const mount = query.get('mount');
  const from = query.get('from');
  // A mount that cannot happen falls back to a new session (202), as the spec says; only a malformed request is refused.
  if (mount !== null && from !== null) {
    const digest = checkDigest(mount);
    checkRepositoryName(from);
    if (await storage.mountBlob(name, digest, from)) {
      await discardBody(request);
      sendCreatedBlob(response, name, digest);
      return;
    }
  }
  const digestParameter = query.get('digest');
  if (digestParameter !== null && mount === null) {
    const digest = checkDigest(digestParameter);
    const state = await storage.startUpload(name);
    try {
      const body = hasBody(request) ? bodyStream(request, `blob ${digest} to ${name}`) : undefined;
      const stored = await storage.finishUpload(name, state.id, digest, body);
      sendCreatedBlob(response, name, stored.digest);
    } catch (error) {
      // Nobody holds this session's id, so it cannot be resumed: drop it with its bytes.
      await storage.cancelUpload(name, state.id).catch(() => false);
      throw error;
    }
    return;
  }
  await discardBody(request);
  await context.uploads.makeRoom(storage);
  const state = await storage.startUpload(name);
  context.uploads.opened(name, state.id);
  sendEmpty(response, 202, sessionHeaders(state));
}

/** PATCH: one chunk, in order (416 otherwise). */
async function patchUpload(context: RouteContext, name: string, id: string): Promise<void> {
  const storage = writable(context, 'pushing a blob');
  const state = await openSession(context, storage, name, id);
  const next = await appendChecked(context, storage, state);
  if (next) sendEmpty(context.response, 202, sessionHeaders(next));
}

/** PUT: the optional last chunk, then the whole blob checked against `?digest=` and committed (201). */
async function putUpload(context: RouteContext, name: string, id: string): Promise<void> {
  const storage = writable(context, 'pushing a blob');
  const digestParameter = context.query.get('digest');
  if (digestParameter === null) {
    throw new RegistryProblem('DIGEST_INVALID', `closing upload ${id} needs ?digest=<digest of the whole blob>`, { detail: { id } });
  }
  const digest = checkDigest(digestParameter);
  let state = await openSession(context, storage, name, id);
  if (hasBody(context.request)) {
    const next = await appendChecked(context, storage, state);
    if (next === undefined) return;
    state = next;
  } else {
    await discardBody(context.request);
  }
  const stored = await storage.finishUpload(name, state.id, digest);
  context.uploads.forget(id);
  sendCreatedBlob(context.response, name, stored.digest);
}

/** Answers `/v2/<name>/blobs/uploads/` (POST only; the server has checked the method). */
export async function uploadsRoute(context: RouteContext, name: string): Promise<void> {
  await postUpload(context, name);
}

/** Answers `/v2/<name>/blobs/uploads/<id>`: PATCH, PUT, GET (status, 204) or DELETE (cancel, 204). */
export async function uploadRoute(context: RouteContext, name: string, id: string): Promise<void> {
  const method = context.request.method;
  const storage = writable(context, 'pushing a blob');
  if (method === 'DELETE') {
    context.uploads.forget(id);
    if (!UPLOAD_ID.test(id) || !(await storage.cancelUpload(name, id))) throw unknownUpload(name, id);
    sendEmpty(context.response, 204);
    return;
  }
  await context.uploads.during(name, id, async () => {
    if (method === 'PATCH') return patchUpload(context, name, id);
    if (method === 'PUT') return putUpload(context, name, id);
    const state = await openSession(context, storage, name, id);
    sendEmpty(context.response, 204, sessionHeaders(state));
  });
}
