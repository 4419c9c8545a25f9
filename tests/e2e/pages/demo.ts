/** Page objects of the sample flow (issue 17): the start screen's "Try Ferry with sample images" and the banner shown while it runs. */
import { expect, type Locator } from '@playwright/test';
import { Screen } from './base.ts';

/** The banner every screen shows while the sample registries run. */
export class DemoBanner extends Screen {
  heading(): Locator {
    return this.page.getByRole('complementary', { name: 'Sample flow' });
  }
  /** The start screen's choice, which starts the sample registries and opens the export wizard. */
  async startFromStartScreen(): Promise<void> {
    await this.page.getByRole('button', { name: /Try Ferry with sample images/ }).click();
  }
  /** One fact of the banner (source, target, stand-in drive), as shown. */
  async fact(term: string): Promise<string> {
    const fact = this.heading()
      .locator('div')
      .filter({ has: this.page.getByRole('term').filter({ hasText: term }) });
    return ((await fact.getByRole('definition').textContent()) ?? '').trim();
  }
  /** "Continue on the disconnected side", offered once the bundle is written and verified. */
  async continueToImport(): Promise<void> {
    await this.heading().getByRole('button', { name: 'Continue on the disconnected side' }).click();
  }
  async stop(): Promise<void> {
    await this.heading().getByRole('button', { name: 'Stop the sample registries' }).click();
    await expect(this.heading()).toBeHidden();
  }
}
