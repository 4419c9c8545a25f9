/** What every page object shares: waiting for its heading, a screenshot under test-results/screens, and an axe scan. */
import { AxeBuilder } from '@axe-core/playwright';
import { expect, type Locator, type Page } from '@playwright/test';

/** Where every step's screenshot is written. */
export const SCREENS_DIR = 'test-results/screens';

/** Impacts that fail the accessibility check. */
const BLOCKING_IMPACTS = new Set(['serious', 'critical']);

/** Base of every page object: one screen or one wizard step, found by its heading. */
export abstract class Screen {
  constructor(readonly page: Page) {}

  /** The heading that proves this screen or step is showing. */
  abstract heading(): Locator;

  /** Waits until the screen is showing. */
  async expectShown(): Promise<this> {
    await expect(this.heading()).toBeVisible();
    return this;
  }

  /** Saves a full-page screenshot named after the step. */
  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: `${SCREENS_DIR}/${name}.png`, fullPage: true });
  }

  /** Runs axe over the page and fails on any serious or critical violation. */
  async expectAccessible(): Promise<void> {
    const results = await new AxeBuilder({ page: this.page }).analyze();
    const blocking = results.violations.filter((v) => BLOCKING_IMPACTS.has(v.impact ?? ''));
    expect(blocking.map((v) => `${v.impact}: ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)).toEqual([]);
  }

  /** Screenshot and accessibility scan together, as every step gets both. */
  async capture(name: string): Promise<void> {
    await this.screenshot(name);
    await this.expectAccessible();
  }
}

/** A wizard step, whose heading reads "Step N of M: Title". */
export abstract class WizardStep extends Screen {
  protected abstract readonly title: string;
  heading(): Locator {
    return this.page.getByRole('heading', { level: 2, name: new RegExp(`^Step \\d+ of \\d+: ${this.title}$`) });
  }
}
