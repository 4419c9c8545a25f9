/**
 * The shapes of a registry's listings (distribution-spec): `GET /v2/<name>/tags/list`
 * and `GET /v2/_catalog`. Shape only, with `z.object` so extra fields pass;
 * distribution answers `"tags": null` for a repository whose tags were all deleted.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-tags
 */
import { z } from 'zod';

/** One page of `tags/list`: its tag names (absent or null: none). */
export const TagListPageSchema = z.object({ tags: z.array(z.string()).nullish() });

/** One page of `_catalog`: its repository names (absent or null: none). */
export const CatalogPageSchema = z.object({ repositories: z.array(z.string()).nullish() });
