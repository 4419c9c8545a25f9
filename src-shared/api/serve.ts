/**
 * The contract's types for the app's own registry (`ferry serve` inside the
 * app, issue 15): a site without a registry starts one from the import
 * wizard or the start screen, and the service keeps at most one running.
 * Also the mirror configuration's per-file install guide and the "save all"
 * call, which place each file where a runtime reads it.
 */
import type { MirrorCheckReport } from '../model/mirror-check.ts';
import type { RegistryAccessInput } from './contract.ts';

/** What `serve:start` takes: the storage folder, where to listen, TLS and one user. */
export interface ServeStartInput {
  /** The store folder (created on first use); it keeps the images and, with TLS, the local CA under `tls/`. */
  storage: string;
  /** The TCP port; 0 lets the system choose a free one. */
  port: number;
  /** Where to listen: `0.0.0.0` (every interface, so cluster nodes reach it) or one address such as 127.0.0.1. */
  listen?: string;
  /** The host name or IP clients write in references; it is in the certificate and in the address shown. Default: the machine's name. */
  name?: string;
  /** True: HTTPS with a local CA Ferry creates (`--tls auto`); false: plain HTTP. */
  tls: boolean;
  /** One user who may push and pull; absent means anonymous. The password lives only as a bcrypt hash. */
  user?: { name: string; password: string };
}

/** Where the app's registry is and how clients trust it; the same shape `serve:start` answers and `serve:status` holds. */
export interface ServeRunning {
  /** `host:port` as clients write it in references and import targets. */
  address: string;
  /** `https://host:port` or `http://host:port`. */
  url: string;
  storage: string;
  tls: boolean;
  /** The local CA's certificate file (TLS only): the import trusts it, the mirror configuration installs it. */
  caFile?: string;
  /** Its PEM text (TLS only), to show and copy. */
  caPem?: string;
  /** The user name clients log in with, when one was set. */
  user?: string;
}

/** What `serve:status` answers, and the `serve:state` event carries. */
export interface ServeStatus {
  running: boolean;
  /** Present while running. */
  registry?: ServeRunning;
  /** What the store holds (while running): repositories, images (tags) and bytes on disk. */
  stats?: { repositories: number; images: number; bytes: number };
  /** Why the last start (with the app, or by hand) failed, in words; null when it did not. */
  problem: string | null;
  /** The machine's host name: what the form proposes as the name clients use. */
  hostName: string;
}

/** Where one mirror configuration file goes on the machine that uses it, and the command that applies it. */
export interface InstallGuide {
  /** Who reads the file (containerd, podman/CRI-O, OpenShift…). */
  consumer: string;
  /** The path it is copied to, or where it is applied. */
  destination: string;
  /** The command that installs or applies it. */
  command: string;
}

/** One generated mirror configuration file: its relative path (with folders), text and, when known, how it is installed. */
export interface MirrorFile {
  path: string;
  text: string;
  install?: InstallGuide;
}

/** What `mirror:config` and `mirror:save` take: the bundle, the target, and the mirror's real access and CA. */
export interface MirrorConfigInput {
  bundle: string;
  target: string;
  keepRegistryHost?: boolean;
  /** The import's "Keep paths at most N levels deep", so the files name the folded repositories. */
  maxNestedPaths?: number;
  /** The mirror's CA: a PEM file path or PEM text (default: the target's first CA file). */
  mirrorCa?: string;
  /** How clients reach the mirror (plain HTTP, TLS verification, CA files), so the files say it as it is. */
  registry?: RegistryAccessInput;
}

/**
 * What `mirror:save` answers: the files written and the mapping check run on
 * them (every image of the bundle resolved through the saved files and asked
 * for in the mirror by digest), so the wizard can say the files work before
 * they are carried to the nodes.
 */
export interface MirrorSaveResult {
  folder: string;
  written: string[];
  check?: MirrorCheckReport;
}
