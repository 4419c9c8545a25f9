/**
 * The "run a registry here" form's checks before anything reaches the
 * engine: a missing folder, a port out of range and a user without a
 * password are refused naming the field; blank optional fields are left out
 * so the engine's defaults apply.
 */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src-renderer/api/client.ts';
import { DEFAULT_SERVE_PORT, serveInput, type ServeForm } from '../../src-renderer/stores/serve-store.ts';

const FORM: ServeForm = { storage: '/srv/ferry', port: DEFAULT_SERVE_PORT, listen: '0.0.0.0', name: 'mirror.plant.local', tls: true, user: '', password: '' };

function refusal(form: ServeForm): ApiError {
  try {
    serveInput(form);
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('the form was accepted');
}

describe('serveInput', () => {
  it('turns the form into serve:start arguments', () => {
    expect(serveInput(FORM)).toEqual({ storage: '/srv/ferry', port: 5000, tls: true, listen: '0.0.0.0', name: 'mirror.plant.local' });
    expect(serveInput({ ...FORM, listen: ' ', name: '', tls: false, user: ' admin ', password: 'pw' })).toEqual({
      storage: '/srv/ferry',
      port: 5000,
      tls: false,
      user: { name: 'admin', password: 'pw' },
    });
  });

  it.each([
    ['storage', { storage: '  ' }],
    ['port', { port: '70000' }],
    ['port', { port: '50a' }],
    ['port', { port: '-1' }],
    ['user.password', { user: 'admin', password: '' }],
  ] as const)('refuses a bad %s', (argument, patch) => {
    const error = refusal({ ...FORM, ...patch });
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.details).toEqual({ argument });
  });
});
