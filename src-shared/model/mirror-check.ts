/**
 * The mapping check's report (`ferry mirror-config check`, and the check an
 * import runs on the mirror configuration it wrote): for each image and each
 * mirror format, whether a runtime reading that configuration would find the
 * image's digest in the site registry, and if not, the rule and the locations
 * it would have tried. Shared so the CLI, the service and the app read one shape.
 */

/** How one format resolves one image. */
export type MirrorCheckState =
  /** A location the rule sends the pull to holds the digest. */
  | 'resolves'
  /** No rule of the format matches the image: a runtime would pull it from its source. */
  | 'no-rule'
  /** The rule's locations in the site registry were asked and lack the digest (a wrong or missing path). */
  | 'missing'
  /** The rule sends the pull nowhere in the site registry (every location is another host, or cannot be formed). */
  | 'elsewhere'
  /** `blocked = true`: the runtime refuses the pull. */
  | 'blocked'
  /** The site registry could not be asked (unreachable, refused the login). */
  | 'error';

/** One location a runtime would try, with what the site registry answered. */
export interface MirrorCheckTry {
  /** The location as the configuration spells it (a mirror's location, a hosts.toml URL). */
  location: string;
  /** The repository asked for the digest (`host/path`), when one can be formed. */
  repository?: string;
  answer: 'has the digest' | 'lacks the digest' | 'not in the site registry' | 'unusable' | 'error';
  /** Why a location is unusable, or the error the registry gave. */
  detail?: string;
}

/** One image through one format. */
export interface MirrorCheckRow {
  /** `source@digest`: what a pod spec pins. */
  image: string;
  /** registries.conf, IDMS, ITMS, ICSP or hosts.toml. */
  format: string;
  state: MirrorCheckState;
  /** The rule that applied (a prefix, a source, a hosts.toml folder). */
  rule?: string;
  /** The file holding the rule, relative to the checked folder. */
  file?: string;
  /** The repository that holds the digest, when it resolves. */
  resolvedAt?: string;
  tried: MirrorCheckTry[];
  /** One sentence naming the image, the rule and the locations, for the table and the app. */
  detail: string;
}

/** The whole check. */
export interface MirrorCheckReport {
  /** The folder or file checked. */
  config: string;
  /** The site registry asked (`REGISTRY[/PREFIX]`). */
  registry: string;
  /** The formats found, in report order. */
  formats: string[];
  /** Distinct images checked (source + digest). */
  images: number;
  /** Images that resolve through every format found. */
  resolved: number;
  /** True when every image resolves through every format. */
  ok: boolean;
  rows: MirrorCheckRow[];
  /** Images with no source registry (local artifacts), left out of the check. */
  skipped: string[];
  seconds: number;
  /** Why the configuration could not be checked at all (a file that does not read back). */
  error?: string;
}
