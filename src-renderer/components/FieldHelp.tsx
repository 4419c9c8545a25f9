/**
 * One line of help beside a jargon field (bundle, digest, mirror, prefix, IDMS, …)
 * for an operator in their first hour, with a "More" disclosure naming the
 * guide that explains it. Every screen uses this one component, so a term is
 * explained the same way wherever it appears.
 */

/** The terms a screen can explain; each has one line, a longer paragraph and the guide (docs/…) with its section. */
export type HelpTerm = 'bundle' | 'digest' | 'mirror' | 'prefix' | 'idms' | 'site' | 'receipt' | 'form' | 'platform' | 'catalog' | 'audit';

interface HelpText {
  /** The term as a person says it. */
  name: string;
  line: string;
  more: string;
  /** The guide in Ferry's docs folder, and the section to read. */
  doc: string;
  section: string;
}

/** The texts, in the operator's language: no flags, no internal field names. */
export const HELP: Record<HelpTerm, HelpText> = {
  bundle: {
    name: 'bundle',
    line: 'A bundle is the folder Ferry writes to a drive: the images, a list of their checksums, and nothing else.',
    more: 'You carry it across the gap on removable media. On the other side Ferry checks every byte against the list before it pushes anything.',
    doc: 'docs/bundle-format.md',
    section: 'Directory form',
  },
  digest: {
    name: 'digest',
    line: 'A digest (sha256:…) is the checksum that names an image exactly; the same digest means the same bytes.',
    more: 'Tags such as :latest can move; a digest cannot. Ferry shows the first 12 characters; search and copy work with any prefix of it.',
    doc: 'docs/bundle-format.md',
    section: 'ferry.json pins the whole bundle',
  },
  mirror: {
    name: 'mirror',
    line: 'The mirror is the registry on the disconnected side that clusters pull from instead of the internet.',
    more: 'Ferry pushes the bundle into it and writes the configuration that tells machines to pull from it.',
    doc: 'docs/import.md',
    section: 'Mirror configuration',
  },
  prefix: {
    name: 'prefix',
    line: 'The prefix is a path put in front of every repository on the mirror, for example mirror.local/team-a.',
    more: 'Leave it empty to keep the original repository paths; use one to keep several sources apart on one registry.',
    doc: 'docs/import.md',
    section: 'ferry import BUNDLE --to REGISTRY[/PREFIX]',
  },
  idms: {
    name: 'IDMS',
    line: 'An ImageDigestMirrorSet (IDMS) tells an OpenShift cluster to pull images by digest from the mirror.',
    more: 'Ferry writes it for you; an administrator applies it with oc apply. Older clusters use an ImageContentSourcePolicy instead.',
    doc: 'docs/openshift.md',
    section: '4. Push into the mirror registry and write the cluster configuration',
  },
  site: {
    name: 'site',
    line: 'A site is a name for one disconnected place (for example plant-3); its receipts say which images it already has.',
    more: 'With a site, the next export leaves out what that site already holds, so bundles stay small.',
    doc: 'docs/catalog.md',
    section: 'Incremental bundles',
  },
  receipt: {
    name: 'receipt',
    line: 'A receipt is the small file an import writes: which images reached which mirror. Carry it back to the connected side.',
    more: 'Importing a receipt into the catalog tells Ferry what that site already has.',
    doc: 'docs/import.md',
    section: 'Receipt',
  },
  form: {
    name: 'form',
    line: 'A bundle is a folder of files (directory form) or a few large tar parts (archive form, for FAT32 drives).',
    more: 'Ferry picks archive form by itself when the drive cannot hold large files.',
    doc: 'docs/bundle-format.md',
    section: 'Archive form',
  },
  platform: {
    name: 'platform',
    line: 'A platform is the operating system and processor an image runs on, such as linux/amd64.',
    more: 'Carry only the platforms your machines use to keep bundles small.',
    doc: 'docs/bundle-format.md',
    section: 'Directory form',
  },
  catalog: {
    name: 'catalog',
    line: 'The catalog is Ferry’s history on this machine: every bundle exported or imported, receipts and sites.',
    more: 'It is a local database file; nothing in it leaves this machine unless you copy it.',
    doc: 'docs/catalog.md',
    section: 'What it records',
  },
  audit: {
    name: 'audit log',
    line: 'The audit log lists what was done here (exports, imports, approvals, policy changes); each entry seals the one before.',
    more: 'A changed or removed entry breaks the chain, and the check below says so.',
    doc: 'docs/catalog.md',
    section: 'What it records',
  },
};

/** The help line for a term; `id` lets a field point at it with aria-describedby. */
export function FieldHelp({ term, id }: { term: HelpTerm; id?: string }) {
  const help = HELP[term];
  return (
    <div className="field-help" id={id}>
      <span>{help.line}</span>{' '}
      <details>
        <summary>More about {help.name}</summary>
        <p>
          {help.more} The guide: <cite>{help.doc}</cite>, “{help.section}”.
        </p>
      </details>
    </div>
  );
}
