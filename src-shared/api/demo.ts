/**
 * The contract's types for the sample flow (issue 17): "Try Ferry with
 * sample images" starts two of Ferry's own registries on this machine with
 * a few sample images in the first, and the wizards are opened prefilled
 * with what this describes, so a new operator walks the real export and
 * import with nothing external.
 */

/** One of the sample flow's registries: plain HTTP on 127.0.0.1, no login. */
export interface DemoRegistry {
  /** `127.0.0.1:PORT`, as references and import targets write it. */
  address: string;
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Its store folder. */
  storage: string;
}

/** One sample image in the source registry. */
export interface DemoImage {
  /** The reference to export, `127.0.0.1:PORT/samples/NAME:TAG`. */
  reference: string;
  /** What it is, in plain words. */
  description: string;
  /** Its top manifest's digest (the index of a multi-arch image). */
  digest: string;
  /** `os/arch` of each platform. */
  platforms: string[];
}

/** A running sample flow: the registries, the images, and the folders standing in for the drive and for the mirror configuration. */
export interface DemoState {
  /** The demo folder holding everything below. */
  folder: string;
  /** The connected side's registry, holding the samples. */
  source: DemoRegistry;
  /** The disconnected side's registry, empty until the import. */
  target: DemoRegistry;
  images: DemoImage[];
  /** The empty folder standing in for the USB drive. */
  drive: string;
  /** Where the mirror configuration is saved. */
  mirrorFolder: string;
}

/** What `demo:status` answers: whether the sample registries run, and the flow when they do. */
export interface DemoStatus {
  running: boolean;
  demo?: DemoState;
}
