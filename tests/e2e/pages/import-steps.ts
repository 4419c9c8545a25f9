/** Page objects of the import wizard, one per step. */
import { expect, type Locator } from '@playwright/test';
import { WizardStep } from './base.ts';

/** Step 1: the bundle folder. */
export class ImportBundleStep extends WizardStep {
  protected readonly title = 'Find the bundle';
  async chooseFolder(folder: string): Promise<void> {
    await this.page.getByLabel(/Bundle folder/).fill(folder);
  }
  async verify(): Promise<void> {
    await this.page.getByRole('button', { name: 'Verify bundle' }).click();
  }
}

/** Step 2: verification with progress and its report. */
export class ImportVerifyStep extends WizardStep {
  protected readonly title = 'Verify';
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
  async testConnection(): Promise<void> {
    await this.page.getByRole('button', { name: 'Test connection' }).click();
    await expect(this.page.getByRole('status').filter({ hasText: 'Connection works.' })).toBeVisible();
  }
  async push(): Promise<void> {
    await this.page.getByRole('button', { name: 'Push images' }).click();
  }
}

/** Step 5: the push with progress. */
export class ImportPushStep extends WizardStep {
  protected readonly title = 'Push';
  async waitFinished(): Promise<void> {
    await expect(this.page.getByRole('status').filter({ hasText: 'All images were pushed' })).toBeVisible();
  }
  async next(): Promise<void> {
    await this.page.getByRole('button', { name: 'Show mirror configuration' }).click();
  }
}

/** Step 6: mirror configuration files with copy and save. */
export class ImportMirrorStep extends WizardStep {
  protected readonly title = 'Mirror configuration';
  async expectFiles(): Promise<void> {
    await expect(this.page.getByLabel(/^Contents of /).first()).toBeVisible();
    await expect(this.page.getByRole('button', { name: /^Copy / }).first()).toBeVisible();
    await expect(this.page.getByRole('button', { name: /^Save / }).first()).toBeVisible();
  }
}
