/**
 * The schema of the app's settings: what `settings:save` accepts and what
 * settings.json holds. It normalises as it checks (addresses trimmed and
 * without a trailing slash, empty paths dropped, flags defaulted), so the
 * value saved and the value read back are the same. FerrySettings in the
 * contract is its output type. No key the schema does not declare is kept,
 * so a credential cannot slip in under another name.
 */
import { z } from 'zod';
import { RATE_LIMIT_RANGE } from '../model/throttling.ts';
import { parseSize } from '../units.ts';
import { addressCarriesUserInfo, USER_INFO_MESSAGE } from '../registry-address.ts';
import type { JsonDocumentKind } from './document.ts';

/** A file path; blank or null means none. */
const OptionalPath = z
  .string('must be a file path')
  .nullish()
  .transform((value) => {
    const trimmed = value?.trim();
    return trimmed === undefined || trimmed === '' ? undefined : trimmed;
  })
  .optional();

function isSize(value: string | undefined): boolean {
  if (value === undefined) return true;
  try {
    parseSize(value);
    return true;
  } catch {
    return false;
  }
}

/** Drops keys whose value is undefined, so optional fields are absent rather than present and empty. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

/** Requests per second at most (0.5 = one every two seconds); blank or null means no limit. */
const OptionalRateLimit = z
  .number('must be a number of requests per second')
  .positive('must be more than 0 requests per second')
  .min(RATE_LIMIT_RANGE.min, 'must be at least one request a day')
  .max(RATE_LIMIT_RANGE.max, `must be at most ${RATE_LIMIT_RANGE.max} requests per second`)
  .nullish()
  .transform((value) => value ?? undefined)
  .optional();

/** One registry the user works with. */
export const RegistrySettingSchema = z
  .strictObject({
    /** `host[:port]` or `host[:port]/prefix`, as references and import targets are typed. */
    address: z
      .string('is required')
      .transform((value) => value.trim().replace(/\/+$/, ''))
      .pipe(
        z
          .string()
          .min(1, 'is required')
          .refine((value) => !addressCarriesUserInfo(value), USER_INFO_MESSAGE)
          .regex(/^(?![a-z]+:\/\/)/i, 'write the registry address without a scheme (registry.example.com:5000); tick plain HTTP for a registry without TLS')
          .regex(/^\S+$/, 'cannot contain spaces'),
      ),
    plainHttp: z.boolean('must be true or false').default(false),
    tlsVerify: z.boolean('must be true or false').default(true),
    caCertFile: OptionalPath,
    authFile: OptionalPath,
    /** Requests per second at most, applied to every job that talks to this registry's host. */
    rateLimit: OptionalRateLimit,
  })
  .transform(withoutUndefined);

/** Export defaults the wizard starts from. */
export const ExportDefaultsSchema = z
  .strictObject({
    partSize: OptionalPath.refine(isSize, 'must be a size such as 4GiB, 700MB or 4294967295'),
    archive: z.boolean('must be true or false').optional(),
  })
  .transform(withoutUndefined);

/**
 * The app's own registry (issue 15) as it was last started, so "start it with
 * the app" can start it again. A user name at most: its password lives only
 * as a bcrypt hash in the htpasswd file beside these settings.
 */
export const ServeSettingSchema = z
  .strictObject({
    storage: z.string('must be a folder path').trim().min(1, 'is required'),
    port: z.int('must be a port number').min(0, 'must be a port number').max(65535, 'must be a port number'),
    listen: z.string('must be an address').trim().min(1).optional(),
    name: z.string('must be a host name').trim().min(1).optional(),
    tls: z.boolean('must be true or false').default(true),
    user: z.string('must be a user name').trim().min(1).optional(),
    startWithApp: z.boolean('must be true or false').default(false),
  })
  .transform(withoutUndefined);

/** The whole of the settings. */
export const SettingsSchema = z
  .strictObject({
    registries: z.array(RegistrySettingSchema, 'must be a list').default([]),
    defaults: ExportDefaultsSchema.default({}),
    serve: ServeSettingSchema.optional(),
  })
  .superRefine((settings, context) => {
    const seen = new Set<string>();
    settings.registries.forEach((entry, index) => {
      if (seen.has(entry.address)) context.addIssue({ code: 'custom', path: ['registries', index, 'address'], message: `${entry.address} is listed twice` });
      seen.add(entry.address);
    });
  });

/** How settings.json is read: a malformed file is INVALID_CONTENT naming the file and the JSON path. */
export const SETTINGS_DOCUMENT: JsonDocumentKind<typeof SettingsSchema> = {
  schema: SettingsSchema,
  name: 'the settings schema',
  maxBytes: 1024 * 1024,
  code: 'INVALID_CONTENT',
};
