/**
 * How an HTTP/2 GOAWAY reaches Ferry: undici fails the requests of the closed
 * connection with a SocketError whose message carries the frame's error code.
 * ENHANCE_YOUR_CALM (11) is the server asking Ferry to slow down: a throttled,
 * retryable error with the rate-limit hint. Any other GOAWAY (a graceful
 * shutdown, NO_ERROR) stays a plain retryable network failure.
 */
import { describe, expect, it } from 'vitest';
import { errorForNetwork, goAwayCode, H2_ENHANCE_YOUR_CALM, RegistryError } from '../../src-main/oci/registry/errors.ts';

/** undici's error for a GOAWAY, as lib/dispatcher/client-h2.js builds it (a SocketError, code UND_ERR_SOCKET). */
function undiciGoAway(code: number): Error {
  return Object.assign(new Error(`HTTP/2: "GOAWAY" frame received with code ${code}`), { name: 'SocketError', code: 'UND_ERR_SOCKET' });
}

const init = { method: 'GET', url: 'https://registry.example:5000/v2/app/manifests/v1?x=secret', subject: 'registry.example:5000/app:v1' };

describe('GOAWAY from undici', () => {
  it('reads the error code, also through a cause', () => {
    expect(goAwayCode(undiciGoAway(11))).toBe(H2_ENHANCE_YOUR_CALM);
    expect(goAwayCode(new Error('wrapped', { cause: undiciGoAway(0) }))).toBe(0);
    expect(goAwayCode(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }))).toBeUndefined();
  });

  it('ENHANCE_YOUR_CALM is throttling: retryable, says the registry asked Ferry to slow down, and hints at the request rate', () => {
    const error = errorForNetwork(undiciGoAway(11), init);
    if (!(error instanceof RegistryError)) throw error;
    expect(error.code).toBe('NETWORK_ERROR');
    expect(error.temporary).toBe(true);
    expect(error.throttled).toBe(true);
    expect(error.message).toBe(
      'registry.example:5000/app:v1: GET https://registry.example:5000/v2/app/manifests/v1 failed: registry.example:5000 sent HTTP/2 GOAWAY ENHANCE_YOUR_CALM: the registry asked Ferry to slow down',
    );
    expect(error.details).toMatchObject({ goAway: 'ENHANCE_YOUR_CALM', hint: { kind: 'rate-limit', host: 'registry.example:5000' } });
  });

  it('a GOAWAY with another code is a plain retryable network failure, not throttling', () => {
    const error = errorForNetwork(undiciGoAway(0), init);
    if (!(error instanceof RegistryError)) throw error;
    expect(error.temporary).toBe(true);
    expect(error.throttled).toBe(false);
    expect(error.details?.hint).toBeUndefined();
  });
});
