/** Page objects of the export wizard, one per step. */
import { expect, type Locator } from '@playwright/test';
import { WizardStep } from './base.ts';

/** Step 1: the references to carry and access to their registries. */
export class ExportWhatStep extends WizardStep {
  protected readonly title = 'What to carry';
  async enterReferences(references: string[]): Promise<void> {
    await this.page.getByLabel(/Image references, one per line/).fill(['# e2e fixture set', ...references].join('\n'));
  }
  /** The file inputs beside the pasted references: an image list and an image set, both optional. */
  async expectFileInputs(): Promise<void> {
    await expect(this.page.getByLabel(/^Image list file/)).toHaveValue('');
    await expect(this.page.getByLabel(/^Image set file/)).toHaveValue('');
  }
  /** "Save these references as a set named …", then the saved set is offered under "Saved sets". */
  async saveAsSet(name: string): Promise<void> {
    await this.page.getByLabel('Save these references as a set named').fill(name);
    await this.page.getByRole('button', { name: 'Save set' }).click();
    await expect(this.page.getByRole('status').filter({ hasText: /^Saved as / })).toBeVisible();
    await expect(this.page.getByRole('list', { name: 'Saved sets' }).getByRole('button', { name: `Use set ${name}` })).toBeVisible();
  }
  /** Types a path into "Image set file", as `ferry export --set` takes it. */
  async enterSetFile(path: string): Promise<void> {
    await this.page.getByLabel(/^Image set file/).fill(path);
  }
  /** Opens the folded "OpenShift update service and signature store" fields and enters both URLs (`--update-service`, `--signature-store`). */
  async enterOpenShiftEndpoints(updateService: string, signatureStore: string): Promise<void> {
    const fold = this.page.locator('details').filter({ has: this.page.getByText('OpenShift update service and signature store (optional)', { exact: true }) });
    await fold.getByText('OpenShift update service and signature store (optional)', { exact: true }).click();
    await expect(fold).toHaveAttribute('open', '');
    await this.page.getByLabel('Update service graph URL').fill(updateService);
    await this.page.getByLabel('Release signature store URL').fill(signatureStore);
  }
  async usePlainHttp(): Promise<void> {
    await this.page.getByLabel(/Plain HTTP/).check();
  }
  async plan(): Promise<void> {
    await this.page.getByRole('button', { name: 'Plan export' }).click();
  }
  /** "Continue without these" under the plan's problems: the references named there are left out (keep-going). */
  async continueWithout(): Promise<void> {
    await this.page.getByRole('alert').getByRole('button', { name: 'Continue without these' }).click();
  }
}

/** Step 2: the plan's images, totals and problems. */
export class ExportPlanStep extends WizardStep {
  protected readonly title = 'The plan';
  imagesTable(): Locator {
    return this.page.getByRole('table', { name: /Images in the plan/ });
  }
  async expectImages(references: string[]): Promise<void> {
    for (const ref of references) await expect(this.imagesTable().getByRole('cell', { name: ref, exact: true })).toBeVisible();
    await expect(this.page.getByRole('alert')).toHaveCount(0);
  }
  /** The plan's notes (why images came in or were left out), one list item each. */
  notes(): Locator {
    return this.page.getByRole('list', { name: 'Notes' }).getByRole('listitem');
  }
  async next(): Promise<void> {
    await this.page.getByRole('button', { name: 'Choose where' }).click();
  }
}

/** Step 3: where to write the bundle, and its options. */
export class ExportWhereStep extends WizardStep {
  protected readonly title = 'Where to write it';
  async chooseFolder(folder: string): Promise<void> {
    await this.page.getByLabel('Folder to write the bundle to').fill(folder);
  }
  /** Picks the target with the file picker: from `parent`, into `child`, "Choose this folder". */
  async browseToFolder(parent: string, child: string): Promise<void> {
    await this.browse('Folder to write the bundle to', parent, [child], undefined, 'export-3-where-picker');
    await expect(this.page.getByLabel('Folder to write the bundle to', { exact: true })).toHaveValue(`${parent}/${child}`);
  }
  /** Platforms (none checked keeps all) and "Incremental for site" (empty: a full bundle). */
  async expectFullBundleOptions(): Promise<void> {
    await expect(this.page.getByRole('checkbox', { name: 'linux/amd64' })).not.toBeChecked();
    await expect(this.page.getByRole('checkbox', { name: 'linux/arm64' })).not.toBeChecked();
    await expect(this.page.getByLabel(/^Incremental for site/)).toHaveValue('');
  }
  async start(): Promise<void> {
    await this.page.getByRole('button', { name: 'Start export' }).click();
  }
}

/** Step 4: the run, with progress and cancel. */
export class ExportRunStep extends WizardStep {
  protected readonly title = 'Exporting';
  async waitFinished(): Promise<void> {
    await expect(this.page.getByRole('status').filter({ hasText: 'Export finished' })).toBeVisible();
    await expect(this.page.getByRole('progressbar', { name: /Export progress: 100%/ })).toBeVisible();
  }
  /** One bar per image under the overall one, named after the image (its percentage follows). */
  async expectImageBars(references: string[]): Promise<void> {
    for (const ref of references) await expect(this.page.getByRole('progressbar', { name: `${ref}: 100%`, exact: true })).toBeVisible();
  }
  async next(): Promise<void> {
    await this.page.getByRole('button', { name: 'See the result' }).click();
  }
}

/** Step 5: summary and verification result. */
export class ExportDoneStep extends WizardStep {
  protected readonly title = 'Done';
  async expectVerified(): Promise<void> {
    await expect(this.page.getByText('Bundle verified: every check passed.')).toBeVisible();
  }
  /** A partial export's "Carried N of M; skipped …" with each skipped reference named. */
  async expectSkipped(carried: number, asked: number, references: string[]): Promise<void> {
    const note = this.page.getByRole('note', { name: 'Skipped references' });
    await expect(note).toContainText(`Carried ${carried} of ${asked}`);
    for (const reference of references) await expect(note.getByRole('listitem').filter({ hasText: reference })).toBeVisible();
  }
}
