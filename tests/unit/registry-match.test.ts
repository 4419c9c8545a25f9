/** Which saved registry entry the wizards prefill from, for references and import targets alike. */
import { describe, expect, it } from 'vitest';
import type { RegistrySetting } from '../../src-shared/api/contract.ts';
import { savedRegistryFor } from '../../src-renderer/registry-match.ts';

const saved: RegistrySetting[] = [
  { address: 'registry.local:5000', plainHttp: true, tlsVerify: false },
  { address: 'registry.local:5000/mirror', plainHttp: true, tlsVerify: false, authFile: '/a.json' },
  { address: 'docker.io', plainHttp: false, tlsVerify: true },
  { address: 'localhost:5001', plainHttp: true, tlsVerify: true },
];

describe('savedRegistryFor', () => {
  const cases: Array<[string, string | undefined]> = [
    ['registry.local:5000/app:1.0', 'registry.local:5000'],
    ['registry.local:5000', 'registry.local:5000'],
    ['REGISTRY.local:5000/team/app@sha256:abc', 'registry.local:5000'],
    ['registry.local:5000/mirror', 'registry.local:5000/mirror'],
    ['registry.local:5000/mirror/app:1', 'registry.local:5000/mirror'],
    ['registry.local:5000/mirrors/app:1', 'registry.local:5000'],
    ['registry.local:50000/app', undefined],
    ['nginx:1.27', 'docker.io'],
    ['library/nginx', 'docker.io'],
    ['localhost:5001/x:1', 'localhost:5001'],
    ['localhost:5001', 'localhost:5001'],
    ['quay.io/x/y:1', undefined],
    ['   ', undefined],
  ];
  it.each(cases)('%s → %s', (typed, address) => {
    expect(savedRegistryFor(saved, typed)?.address).toBe(address);
  });
});
