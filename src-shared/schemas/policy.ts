/**
 * The schema of the site policy (`policy.yaml`, docs/trust.md "Site policy"):
 * what the disconnected side lets in — which keys it trusts and in which role,
 * how many exporters and officers must have signed, where images may come
 * from and go, and how old a bundle may be. Every object refuses keys it does
 * not declare, so a misspelt rule is an error naming its line, never a rule
 * silently not applied. Shared so the app's Settings editor checks a policy
 * with the very schema import enforces it with.
 */
import { z } from 'zod';

/** A key's name: as `ferry key generate` names keys (trust/keys.ts KEY_NAME_PATTERN). */
const KeyName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be a key name (letters, digits, . _ -, starting with a letter or digit, up to 100)');

/**
 * A pattern over `registry/repository` names: `*` matches within one path
 * segment, `**` across segments; lowercase as references are, a port allowed.
 */
const RepositoryPattern = z
  .string()
  .min(1)
  .max(512, 'is longer than 512 characters')
  .regex(/^[a-z0-9*][a-z0-9._:/*-]*$/, 'must be a registry/repository pattern (lowercase letters, digits, . _ : / - and * or **)')
  // `quay.io/org**` would match quay.io/organisation-evil/…, `quay.io**` quay.io.evil.com: `**` spans whole segments only.
  .refine((pattern) => !/[^/]\*\*|\*\*[^/]/.test(pattern), '** must stand for whole path segments: write it as /**/ or /** (or **/ at the start)');

/**
 * A blocked image: a digest (`sha256:<hex>`), or a repository pattern with an
 * optional `:tag` and/or `@sha256:<hex>`.
 */
const BlockedImage = z
  .string()
  .min(1)
  .max(600, 'is longer than 600 characters')
  .regex(
    /^(?:sha256:[a-f0-9]{64}|[a-z0-9*][a-z0-9._:/*-]*(?:@sha256:[a-f0-9]{64})?)$/,
    'must be a digest (sha256: and 64 lowercase hex digits) or a repository pattern with an optional :tag or @sha256:digest',
  )
  .refine((entry) => !/[^/]\*\*|\*\*(?![/:@]|$)/.test(entry.split('@')[0] ?? ''), '** must stand for whole path segments: write it as /**/ or /** (or **/ at the start)');

/** A target an import may write under: `registry[:port]` or `registry[:port]/path` (a prefix of whole path segments). */
const TargetPrefix = z
  .string()
  .min(1)
  .max(512, 'is longer than 512 characters')
  .regex(/^[a-z0-9][a-z0-9.-]*(?::\d{1,5})?(?:\/[a-z0-9][a-z0-9._-]*)*$/, 'must be a registry with an optional path (mirror.example.com:5000/ocp), lowercase, without a scheme or trailing /');

/** `30d`, `12h`, `90m`, `2w`: how long a bundle or an approval stays acceptable. */
export const MAX_AGE_PATTERN = /^([1-9]\d{0,5})([mhdw])$/;

/** Milliseconds per unit of {@link MAX_AGE_PATTERN}. */
const AGE_UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** The milliseconds a checked max age stands for. */
export function maxAgeMs(text: string): number {
  const match = MAX_AGE_PATTERN.exec(text);
  if (!match) throw new RangeError(`not a max age: ${text}`);
  return Number(match[1]) * (AGE_UNIT_MS[match[2] ?? ''] ?? 0);
}

/** The roles a trusted key may hold: exporters sign bundles, officers approve or reject them, image signers sign images (cosign). */
export const TRUSTED_KEY_ROLES = ['exporter', 'officer', 'image-signer'] as const;

/** One key the site trusts. */
export const TrustedKeySchema = z.strictObject({
  name: KeyName,
  role: z.enum(TRUSTED_KEY_ROLES, 'must be exporter, officer or image-signer'),
  /** The public key as SPKI PEM text, or the path of a `.pub` file (relative to the policy file's folder). */
  publicKey: z.string().min(1, 'must be a PEM public key or a file path').max(16384, 'is longer than 16384 characters'),
});

/** How many distinct keys of each role must vouch for a bundle. */
export const PolicyRequireSchema = z.strictObject({
  exporter: z.number().int().min(0).max(20).default(0),
  officer: z.number().int().min(0).max(20).default(0),
});

/** The whole site policy as written. */
export const SitePolicySchema = z
  .strictObject({
    trustedKeys: z.array(TrustedKeySchema).max(200).default([]),
    require: PolicyRequireSchema.default({ exporter: 0, officer: 0 }),
    /** Absent: any source; a list: only images whose source `registry/repository` matches one. */
    allowedSources: z.array(RepositoryPattern).max(1000).optional(),
    blockedImages: z.array(BlockedImage).max(10000).default([]),
    /** Absent: any target; a list: only these registries / path prefixes may be written. */
    allowedTargets: z.array(TargetPrefix).max(1000).optional(),
    overwriteTags: z.boolean().default(true),
    maxAge: z.string().regex(MAX_AGE_PATTERN, 'must be a number and a unit: m (minutes), h, d or w, e.g. 30d').optional(),
    requireImageSignatures: z.array(KeyName).max(50).default([]),
  })
  .superRefine((policy, context) => {
    const names = new Map<string, number>();
    policy.trustedKeys.forEach((key, i) => {
      if (names.has(key.name)) context.addIssue({ code: 'custom', path: ['trustedKeys', i, 'name'], message: `repeats the name of trustedKeys[${names.get(key.name) ?? 0}]` });
      names.set(key.name, i);
    });
    for (const role of ['exporter', 'officer'] as const) {
      const count = policy.trustedKeys.filter((key) => key.role === role).length;
      if (policy.require[role] > count) {
        context.addIssue({ code: 'custom', path: ['require', role], message: `asks for ${policy.require[role]} ${role} key(s) but trustedKeys lists ${count}: it could never pass` });
      }
    }
    policy.requireImageSignatures.forEach((name, i) => {
      if (!names.has(name)) context.addIssue({ code: 'custom', path: ['requireImageSignatures', i], message: `names "${name}", which is not among trustedKeys` });
    });
  });

/** The policy as written, checked and with its defaults filled in. */
export type SitePolicyDocument = z.output<typeof SitePolicySchema>;
