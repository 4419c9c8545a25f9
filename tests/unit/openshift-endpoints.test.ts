/**
 * The OpenShift endpoints a set's release channels use (usecases/openshift-endpoints.ts):
 * http(s) URLs only, no login (never echoed), no fragment; each front end's
 * name for the value in the error; the app's export input carries them to the
 * use case, which checks them before anything else.
 */
import { describe, expect, it } from 'vitest';
import { exportInput, planExport } from '../../src-main/service/export.ts';
import { checkedEndpoints } from '../../src-main/usecases/openshift-endpoints.ts';
import { FerryError } from '../../src-shared/errors.ts';

function refusal(run: () => unknown): FerryError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FerryError);
    expect((error as FerryError).code).toBe('INVALID_ARGUMENT');
    return error as FerryError;
  }
  throw new Error('expected a refusal');
}

describe('checkedEndpoints', () => {
  it('keeps http(s) URLs, trimmed, and only those given', () => {
    expect(checkedEndpoints({})).toEqual({});
    expect(checkedEndpoints({ updateService: ' https://updates.example.com/api/upgrades_info/v1/graph ', signatureStore: 'http://127.0.0.1:8080/signatures' })).toEqual({
      updateService: 'https://updates.example.com/api/upgrades_info/v1/graph',
      signatureStore: 'http://127.0.0.1:8080/signatures',
    });
  });

  it('refuses another scheme, a non-URL, a login and a fragment, naming the value as the front end calls it', () => {
    expect(refusal(() => checkedEndpoints({ updateService: 'ftp://updates.example.com/graph' })).message).toBe(
      'updateService must be an http:// or https:// URL, not "ftp://updates.example.com/graph"',
    );
    expect(refusal(() => checkedEndpoints({ updateService: 'updates.example.com' }, { updateService: '--update-service', signatureStore: '--signature-store' })).message).toBe(
      '--update-service must be an http:// or https:// URL, not "updates.example.com"',
    );
    const login = refusal(() => checkedEndpoints({ signatureStore: 'https://robot:s3cret@store.example.com/' }));
    expect(login.message).toBe('signatureStore must not hold a login (user:password@): Ferry reads it without one');
    expect(JSON.stringify(login.details)).not.toContain('s3cret');
    expect(refusal(() => checkedEndpoints({ signatureStore: 'https://store.example.com/#x' })).details).toMatchObject({ argument: 'signatureStore' });
  });

  it("reaches the export use case from the app's export input, checked before the catalog or any registry", async () => {
    const input = exportInput({ references: [], setFile: '/nonexistent/set.yaml', updateService: 'file:///etc/passwd' });
    expect(input.updateService).toBe('file:///etc/passwd');
    const error = await planExport(input, () => {
      throw new Error('the catalog must not be opened');
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FerryError);
    expect((error as FerryError).message).toBe('updateService must be an http:// or https:// URL, not "file:///etc/passwd"');
  });
});
