/** Page objects of the start and catalog screens. */
import { expect, type Locator } from '@playwright/test';
import { Screen } from './base.ts';

/** The start screen: which side of the gap. */
export class StartScreen extends Screen {
  heading(): Locator {
    return this.page.getByRole('heading', { name: 'Where are you?' });
  }
  async chooseConnected(): Promise<void> {
    await this.page.getByRole('button', { name: /I am on the connected side/ }).click();
  }
  async chooseDisconnected(): Promise<void> {
    await this.page.getByRole('button', { name: /I am on the disconnected side/ }).click();
  }
  async open(): Promise<void> {
    await this.navButton('Start').click();
    await this.expectShown();
  }
  jobsTable(): Locator {
    return this.page.getByRole('table', { name: /Jobs of this session/ });
  }
  /** Waits until a job whose title matches shows the status and, if given, the percent (events only, the page never reloads). */
  async expectJob(title: RegExp, status: string, percent?: number): Promise<void> {
    const row = this.jobsTable().getByRole('row').filter({ hasText: title }).filter({ hasText: status }).first();
    await expect(row).toBeVisible();
    if (percent !== undefined) await expect(row.getByRole('progressbar', { name: new RegExp(`: ${percent}%$`) })).toBeVisible();
  }
}

/** The catalog screen: bundles, search and the per-month chart. */
export class CatalogScreen extends Screen {
  heading(): Locator {
    return this.page.getByRole('heading', { name: 'Catalog', level: 2 });
  }
  async open(): Promise<void> {
    await this.navButton('Catalog').click();
    await this.expectShown();
  }
  bundleRows(): Locator {
    return this.page.getByRole('table').getByRole('row');
  }
  async search(text: string): Promise<void> {
    await this.page.getByLabel('Search by image reference or digest').fill(text);
    await this.page.getByRole('button', { name: 'Search' }).click();
  }
  /** Shows one of the catalog's views (Bundles, Sites, Receipts, Audit log, Charts). */
  async showTab(name: 'Bundles' | 'Sites' | 'Receipts' | 'Audit log' | 'Charts'): Promise<void> {
    await this.page.getByRole('tab', { name, exact: true }).click();
    await expect(this.page.getByRole('tab', { name, exact: true })).toHaveAttribute('aria-selected', 'true');
  }
  /** The charts are a tab of their own: shows it, checks the per-month chart, and comes back to the bundles. */
  async expectChart(): Promise<void> {
    await this.showTab('Charts');
    await expect(this.page.getByRole('img', { name: /Bytes carried per month/ })).toBeVisible();
    await this.showTab('Bundles');
  }
}
