/**
 * Creating repositories on registries that do not create them on push. The
 * distribution-spec has no such call; Quay's API does (`POST /api/v1/repository`),
 * and is found by its discovery document. Ferry creates repositories only when
 * asked (`--create-repositories`), never as a side effect of a check.
 */
import { FerryError } from '../../../src-shared/errors.ts';
import type { RegistryClient } from './client.ts';
import { readCapped } from './client.ts';
import { probe, refusalWords } from './probe-access.ts';

/** Quay's API discovery document, which lists the API's paths. */
const DISCOVERY_PATH = '/api/v1/discovery';
/** Quay's repository-creation endpoint. */
const CREATE_PATH = '/api/v1/repository';
/** The discovery document is a few hundred kilobytes on a real Quay. */
const DISCOVERY_LIMIT = 4 * 1024 * 1024;
/** An answer to a creation is a small JSON object. */
const ANSWER_LIMIT = 64 * 1024;

/** Whether the registry offers a repository-creation API, and the words for the report's row. */
export interface RepositoryApiFinding {
  canCreate: boolean;
  words: string;
}

/** Asks for Quay's discovery document: the registry can create repositories when it lists `/api/v1/repository`. */
export async function probeRepositoryApi(client: RegistryClient, signal?: AbortSignal): Promise<RepositoryApiFinding> {
  const answer = await probe(async () => {
    const response = await client.send({ method: 'GET', path: DISCOVERY_PATH, scopes: [], expect: [200, 400, 401, 403, 404, 405, 406], subject: `${client.registry}${DISCOVERY_PATH}`, signal });
    const body = await readCapped(response.body, DISCOVERY_LIMIT, `${client.registry}${DISCOVERY_PATH}`);
    return { status: response.statusCode, body: body.toString('utf8') };
  }, signal);
  if (!answer.ok) return { canCreate: false, words: `no repository API found (${DISCOVERY_PATH}: ${refusalWords(answer.refusal)})` };
  if (answer.value.status !== 200) return { canCreate: false, words: `no repository API found (${DISCOVERY_PATH} answered ${answer.value.status})` };
  let paths: unknown;
  try {
    paths = (JSON.parse(answer.value.body) as { paths?: unknown }).paths;
  } catch {
    paths = undefined;
  }
  if (typeof paths === 'object' && paths !== null && CREATE_PATH in paths) return { canCreate: true, words: `Quay's API: POST ${CREATE_PATH} (used only when asked to create repositories)` };
  return { canCreate: false, words: `${DISCOVERY_PATH} answered, but lists no ${CREATE_PATH}` };
}

/** What creating one repository came to. */
export interface CreatedRepository {
  repository: string;
  outcome: 'created' | 'existed';
}

/**
 * Quay's API takes an OAuth application token as `Authorization: Bearer`, not
 * the `/v2` login (Basic) nor the registry token it is traded for: the token is
 * the stored login's password (or identity token), sent as it is. Never logged.
 */
async function apiAuthorization(client: RegistryClient, subject: string): Promise<string> {
  const credential = await client.credential();
  const token = credential === undefined ? '' : credential.kind === 'basic' ? credential.password : credential.token;
  if (token === '') {
    throw new FerryError('UNAUTHORIZED', `${subject}: Quay's API needs an OAuth application token with the "Create Repositories" permission; log in to ${client.registry} with it as the password`, {
      registry: client.registry,
    });
  }
  return `Bearer ${token}`;
}

/**
 * Creates `repository` (`namespace/name…`) through Quay's API, private and
 * empty, authorised by the OAuth application token stored as the login's
 * password (apiAuthorization). A repository that exists already is not an error.
 */
export async function createRepository(client: RegistryClient, repository: string, signal?: AbortSignal): Promise<CreatedRepository> {
  const slash = repository.indexOf('/');
  if (slash <= 0) {
    throw new FerryError('INVALID_ARGUMENT', `cannot create ${client.registry}/${repository}: a repository is created inside a namespace (namespace/name), and "${repository}" has none`, {
      repository,
    });
  }
  const body = JSON.stringify({ namespace: repository.slice(0, slash), repository: repository.slice(slash + 1), visibility: 'private', description: '', repo_kind: 'image' });
  const subject = `creation of ${client.registry}/${repository}`;
  const response = await client.send({
    method: 'POST',
    path: CREATE_PATH,
    scopes: [],
    expect: [200, 201, 400, 409],
    subject,
    headers: { 'content-type': 'application/json', authorization: await apiAuthorization(client, subject) },
    body,
    signal,
  });
  const answer = (await readCapped(response.body, ANSWER_LIMIT, subject)).toString('utf8');
  if (response.statusCode === 200 || response.statusCode === 201) return { repository, outcome: 'created' };
  if (/already exists/i.test(answer)) return { repository, outcome: 'existed' };
  throw new FerryError('REGISTRY_ERROR', `${subject}: POST ${CREATE_PATH} returned ${response.statusCode} (${answer.trim().slice(0, 200) || 'no details'})`, {
    repository,
    status: response.statusCode,
  });
}
