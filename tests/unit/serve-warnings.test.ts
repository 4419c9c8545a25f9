/**
 * What `ferry serve` warns an operator about before they trust the setup:
 * a registry anyone on the network can push to (or pull from), and Basic
 * logins sent in clear text over plain HTTP; loopback stays silent.
 */
import { describe, expect, it } from 'vitest';
import { exposureWarnings, type ServeInput } from '../../src-main/usecases/serve.ts';

const ADDRESS = 'registry.site.lan:5000';
const user = { name: 'alice', password: 'secret-pass' };
const tls = { mode: 'auto' as const, names: [] };

describe('exposureWarnings', () => {
  it.each<[string, Partial<ServeInput>, RegExp | undefined]>([
    ['anonymous on loopback', { listen: { host: '127.0.0.1', port: 5000 } }, undefined],
    ['anonymous on localhost over HTTP with a login', { listen: { host: 'localhost', port: 5000 }, user }, undefined],
    ['anonymous on ::1', { listen: { host: '::1', port: 5000 } }, undefined],
    [
      'anonymous on every interface',
      { listen: { host: '0.0.0.0', port: 5000 } },
      /^anyone who reaches registry\.site\.lan:5000 can push and delete images \(add --htpasswd or --user, or --read-only\)$/,
    ],
    ['anonymous read-only on a LAN address', { listen: { host: '10.0.0.5', port: 5000 }, readOnly: true }, /^anyone who reaches .* can pull every image/],
    ['a bundle on every interface', { listen: { host: '::', port: 5000 }, bundle: '/media/usb' }, /can pull every image/],
    ['a login over plain HTTP', { listen: { host: '0.0.0.0', port: 5000 }, htpasswd: '/etc/ferry/htpasswd' }, /^logins to registry\.site\.lan:5000 cross the network in clear text over plain HTTP/],
    ['a login over TLS', { listen: { host: '0.0.0.0', port: 5000 }, user, tls }, undefined],
  ])('%s', (_what, input, expected) => {
    const warnings = exposureWarnings({ listen: { host: '127.0.0.1', port: 0 }, ...input }, ADDRESS);
    if (expected === undefined) expect(warnings).toEqual([]);
    else {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(expected);
      expect(warnings[0]).not.toContain(user.password);
    }
  });
});
