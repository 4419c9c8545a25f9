/** Page objects of the import wizard, one per step. */
import { expect, type Locator } from '@playwright/test';
import { WizardStep } from './base.ts';
import { ImportReviewStep } from './review.ts';

/** The percentage at the end of a bar's accessible name ("…: 42%"). */
function percentOf(label: string | null): number {
  const match = /: (\d+)%$/.exec(label ?? '');
  if (!match) throw new Error(`"${label}" is not a progress bar name ending in a percentage`);
  return Number(match[1]);
}

/** An element as the page function below sees it, typed by hand (the tests' tsconfig has no DOM library). */
interface LabelledElement {
  getAttribute(name: string): string | null;
}

/** Every matched element's accessible name from aria-label, in one round trip rather than one per element. */
function ariaLabels(locator: Locator): Promise<string[]> {
  return locator.evaluateAll((elements: LabelledElement[]) => elements.map((element) => element.getAttribute('aria-label') ?? ''));
}

/** Step 1: the bundle folder. */
export class ImportBundleStep extends WizardStep {
  protected readonly title = 'Find the bundle';
  async chooseFolder(folder: string): Promise<void> {
    await this.page.getByLabel(/Bundle folder/).fill(folder);
  }
  /** Searches `folder` for bundles and takes the one found at `bundle` ("Use <path>"). */
  async findIn(folder: string, bundle: string): Promise<void> {
    await this.page.getByLabel(/^Folder to search for bundles/).fill(folder);
    await this.page.getByRole('button', { name: 'Find bundles' }).click();
    const use = this.page.getByRole('list', { name: 'Bundles found' }).getByRole('button', { name: `Use ${bundle}`, exact: true });
    await use.click();
    await expect(use).toHaveAttribute('aria-pressed', 'true');
    await expect(this.page.getByLabel(/Bundle folder/)).toHaveValue(bundle);
  }
  async verify(): Promise<void> {
    await this.page.getByRole('button', { name: 'Verify bundle' }).click();
  }
}

/** Step 2: verification with progress and its report. */
export class ImportVerifyStep extends WizardStep {
  protected readonly title = 'Verify';
  /** The overall bar, named "Verification progress: N%". */
  progressBar(): Locator {
    return this.page.getByRole('progressbar', { name: /^Verification progress: \d+%$/ });
  }
  /** The overall percentage while the verification runs; undefined once it ended (the bar goes away), without waiting. */
  async percent(): Promise<number | undefined> {
    const labels = await ariaLabels(this.progressBar());
    return labels[0] === undefined ? undefined : percentOf(labels[0]);
  }
  /** True once the report is showing, without waiting. */
  async finished(): Promise<boolean> {
    return (await this.page.getByRole('button', { name: 'Back' }).count()) > 0;
  }
  async expectVerified(): Promise<void> {
    await expect(this.page.getByText('Bundle verified: every check passed.')).toBeVisible();
  }
  async next(): Promise<void> {
    await this.page.getByRole('button', { name: 'Inspect images' }).click();
  }
}

/** Step 3: the images the bundle holds. */
export class ImportInspectStep extends WizardStep {
  protected readonly title = 'Inspect';
  imagesTable(): Locator {
    return this.page.getByRole('table', { name: /Images in the bundle/ });
  }
  async expectSources(sources: string[]): Promise<void> {
    for (const source of sources) await expect(this.imagesTable().getByRole('cell', { name: source, exact: true })).toBeVisible();
  }
  /** The "N of M images are new compared with this side's catalog" line. */
  async expectNew(count: number, of: number): Promise<void> {
    await expect(this.page.getByRole('status').filter({ hasText: `${count} of ${of} images are new compared with this side's catalog.` })).toBeVisible();
  }
  /** The scroll container a long (virtualised) images table sits in. */
  scrollRegion(): Locator {
    return this.page.getByRole('region', { name: 'Images in the bundle, scrollable' });
  }
  /** Rows in the DOM now, the header row included (a virtualised table renders only those in view). */
  renderedRows(): Locator {
    return this.imagesTable().getByRole('row');
  }
  /** The caption counts every image, rendered or not. */
  async expectImageCount(count: number): Promise<void> {
    await expect(this.imagesTable()).toHaveAttribute('aria-rowcount', String(count + 1));
    await expect(this.page.getByText(`Images in the bundle (${count})`, { exact: true })).toBeVisible();
  }
  /** Scrolls the table with the mouse wheel, as a user would, by `pixels`. */
  async scrollBy(pixels: number): Promise<void> {
    await this.scrollRegion().hover();
    await this.page.mouse.wheel(0, pixels);
  }
  async next(): Promise<void> {
    await this.page.getByRole('button', { name: 'Choose target registry' }).click();
  }
}

/** Step 4: the target registry and a connection test. */
export class ImportTargetStep extends WizardStep {
  protected readonly title = 'Target registry';
  async enterRegistry(address: string, options: { plainHttp: boolean }): Promise<void> {
    await this.page.getByLabel('Registry address and prefix').fill(address);
    if (options.plainHttp) await this.page.getByLabel(/Plain HTTP/).check();
  }
  /** Names the site, so the receipt and the catalog record it as `ferry import --site` does. */
  async enterSite(name: string): Promise<void> {
    await this.page.getByLabel(/Site name/).fill(name);
  }
  async testConnection(): Promise<void> {
    await this.page.getByRole('button', { name: 'Test connection' }).click();
    await expect(this.page.getByRole('status').filter({ hasText: 'Connection works.' })).toBeVisible();
  }
  /** Presses "Check registry" and waits for its verdict (the first status line of the registry check). */
  async checkRegistry(): Promise<Locator> {
    await this.page.getByRole('button', { name: 'Check registry' }).click();
    const verdict = this.page.getByRole('region', { name: 'Registry check' }).getByRole('status');
    await expect(verdict).toBeVisible({ timeout: 60_000 });
    return verdict;
  }
  /** The check's capability table. */
  capabilityTable(): Locator {
    return this.page.getByRole('table', { name: /^What .* can take$/ });
  }
  /** Ticks "Keep paths at most N levels deep". */
  async keepPathsAtMost(levels: number): Promise<void> {
    await this.page.getByLabel(new RegExp(`^Keep paths at most ${levels} levels deep`)).check();
  }
  /** Goes on to the Review step (without a site policy the push is allowed there) and pushes from it. */
  async push(): Promise<void> {
    await this.page.getByRole('button', { name: 'Review before pushing' }).click();
    const review = await new ImportReviewStep(this.page).expectShown();
    await review.push();
  }
}

/** Step 5: the push with progress. */
export class ImportPushStep extends WizardStep {
  protected readonly title = 'Push';
  async waitFinished(): Promise<void> {
    await expect(this.page.getByRole('status').filter({ hasText: 'All images were pushed' })).toBeVisible();
  }
  /** The overall bar, named "Push progress: N%". */
  progressBar(): Locator {
    return this.page.getByRole('progressbar', { name: /^Push progress: \d+%$/ });
  }
  /** The overall percentage the bar's name shows. */
  async percent(): Promise<number> {
    return percentOf(await this.progressBar().getAttribute('aria-label'));
  }
  /** The "Blobs" fact under the bar, "done of total", as numbers. */
  async blobs(): Promise<{ done: number; total: number }> {
    const fact = this.page
      .getByRole('region', { name: 'Push progress' })
      .locator('div')
      .filter({ has: this.page.getByRole('term').filter({ hasText: /^Blobs$/ }) });
    const text = (await fact.getByRole('definition').textContent()) ?? '';
    const match = /^(\d+) of (\d+)$/.exec(text.trim());
    if (!match) throw new Error(`the Blobs fact reads "${text}", not "N of M"`);
    return { done: Number(match[1]), total: Number(match[2]) };
  }
  /** The per-image bars (one per image, up to the view's limit). */
  imageBars(): Locator {
    return this.page.getByRole('list', { name: 'Push progress by image' }).getByRole('progressbar');
  }
  /** Each image bar's percentage, in one round trip rather than one per bar. */
  async imagePercents(): Promise<number[]> {
    const labels = await ariaLabels(this.imageBars());
    return labels.map(percentOf);
  }
  /** Presses the push's cancel button (below the per-image bars). */
  async cancel(): Promise<void> {
    await this.page.getByRole('button', { name: 'Cancel push' }).click();
    await this.page.getByRole('dialog', { name: 'Cancel the push?' }).getByRole('button', { name: 'Cancel the push', exact: true }).click();
  }
  /** A cancelled push says so in an alert and offers to resume. */
  async expectCancelled(): Promise<void> {
    await expect(this.page.getByRole('alert').filter({ hasText: 'The job was cancelled.' })).toContainText('(CANCELLED)');
    await expect(this.page.getByRole('button', { name: 'Push again (resumes)' })).toBeVisible();
    await expect(this.page.getByRole('button', { name: 'Cancel push' })).toHaveCount(0);
  }
  /** The finished import's summary: what was pushed, what was already there, the receipt. */
  summary(): Locator {
    return this.page.getByRole('region', { name: 'Import summary' });
  }
  async next(): Promise<void> {
    await this.page.getByRole('button', { name: 'Show mirror configuration' }).click();
  }
}

/** Step 7: mirror configuration files grouped per target, with copy, where each goes, and "Save all files". */
export class ImportMirrorStep extends WizardStep {
  protected readonly title = 'Mirror configuration';
  async expectFiles(): Promise<void> {
    await expect(this.page.getByLabel(/^Contents of /).first()).toBeVisible();
    await expect(this.page.getByRole('button', { name: /^Copy / }).first()).toBeVisible();
    await expect(this.page.getByRole('button', { name: 'Save all files' })).toBeVisible();
  }
  /** Every file's path, as the step's file headings name them, in order. */
  async paths(): Promise<string[]> {
    return (await this.page.getByRole('heading', { level: 4 }).allTextContents()).map((path) => path.trim());
  }
  /** The targets the files are grouped under ("For containerd" …), in order. */
  async targets(): Promise<string[]> {
    return (await this.page.getByRole('heading', { level: 3 }).allTextContents()).map((title) => title.trim().replace(/^For /, ''));
  }
  /** Where one file goes and the command that applies it, as its facts show them; undefined when the step shows no guide for it. */
  async installOf(path: string): Promise<{ destination: string; command: string } | undefined> {
    const facts = this.page.getByLabel(`Where ${path} goes`, { exact: true });
    if ((await facts.count()) === 0) return undefined;
    const values = (await facts.getByRole('definition').allTextContents()).map((text) => text.trim());
    return { destination: values[0] ?? '', command: values[1] ?? '' };
  }
  /** Saves every file into `folder` with "Save all files" and answers the paths the step says it wrote. */
  async saveAll(folder: string): Promise<string[]> {
    await this.page.getByLabel('Folder to save the mirror configuration in', { exact: true }).fill(folder);
    await this.page.getByRole('button', { name: 'Save all files' }).click();
    const list = this.page.getByRole('list', { name: 'Files saved' });
    await expect(list).toBeVisible();
    return (await list.getByRole('listitem').allTextContents()).map((path) => path.trim());
  }
  /** Adds the mirror's login to a copy of the cluster's pull secret and saves it where the step proposes. */
  async mergePullSecret(file: string, username: string, password: string): Promise<void> {
    await this.page.getByLabel('Pull secret file', { exact: true }).fill(file);
    await this.page.getByLabel('User name the cluster pulls with', { exact: true }).fill(username);
    await this.page.getByLabel('Password the cluster pulls with', { exact: true }).fill(password);
    await this.page.getByRole('button', { name: "Add the mirror's login and save" }).click();
  }
  /** Where the merged pull secret was saved, as the step says it. */
  async mergedPullSecretPath(): Promise<string> {
    const saved = this.page.getByRole('status').filter({ hasText: /^Merged pull secret saved as / });
    await expect(saved).toBeVisible();
    return ((await saved.locator('.mono').textContent()) ?? '').trim();
  }
  /** One file's text, as its "Contents of <path>" block shows it. */
  async text(path: string): Promise<string> {
    return (await this.page.getByLabel(`Contents of ${path}`, { exact: true }).textContent()) ?? '';
  }
}
