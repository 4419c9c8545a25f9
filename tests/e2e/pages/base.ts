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

  /** A button of the app's main navigation (Start, Export, Import, Catalog, Settings). */
  navButton(name: string): Locator {
    return this.page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name, exact: true });
  }

  /**
   * Picks a path with the app's own file picker: types `startIn` into the
   * field, opens "Browse… for <label>", walks into `folders` one click at a
   * time, then chooses the folder reached (or the file named `file` in it).
   */
  async browse(label: string, startIn: string, folders: string[], file?: string, captureAs?: string): Promise<void> {
    await this.page.getByLabel(label, { exact: true }).fill(startIn);
    await this.page.getByRole('button', { name: `Browse… for ${label}`, exact: true }).click();
    const dialog = this.page.getByRole('dialog', { name: new RegExp(`^Choose a (folder|file): ${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });
    await expect(dialog).toBeVisible();
    for (const folder of folders) await dialog.getByRole('button', { name: `${folder}/`, exact: true }).click();
    // The open dialog gets its own screenshot and axe scan: it is a screen of its own.
    if (captureAs !== undefined) await this.capture(captureAs);
    if (file === undefined) await dialog.getByRole('button', { name: 'Choose this folder' }).click();
    else await dialog.getByRole('button', { name: file, exact: true }).click();
    await expect(dialog).toBeHidden();
  }

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

  /**
   * Fails when the page shows words meant for developers (issue 17): field
   * names, error codes in brackets, raw ISO times with milliseconds, seconds
   * with decimals, byte counts without a unit, or Ferry CLI flags.
   */
  async expectNoInternalWords(): Promise<void> {
    // File contents and commands to run are quoted as they are (YAML keys, `oc` flags): only the page's own words are checked.
    let text = await this.page.locator('main').innerText();
    for (const quoted of await this.page.locator('main pre, main code').allInnerTexts()) text = text.replace(quoted, ' ');
    text = text.replace(/\s+/g, ' ');
    const internal = [
      /\bbundleId\b/,
      /\balreadyComplete\b/,
      /\b[a-z]+[A-Z][a-zA-Z]*\b(?=:)/,
      /\([A-Z]+(?:_[A-Z]+)+\)/,
      /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/,
      /\b\d+\.\d{2,} ?s\b/,
      /\b\d{5,} ?bytes\b/,
      /\bferry (?:import|export|serve)\b/,
      /(?:^|\s)--[a-z][a-z-]+/,
    ];
    expect(internal.filter((pattern) => pattern.test(text)).map((pattern) => `${String(pattern)}: ${pattern.exec(text)?.[0] ?? ''}`)).toEqual([]);
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
  /** A field the step marked as wrong where it was typed: aria-invalid and a description saying what fixes it. */
  async expectInvalid(label: string | RegExp, message: RegExp): Promise<void> {
    const field = this.page.getByLabel(label, typeof label === 'string' ? { exact: true } : {});
    await expect(field).toHaveAttribute('aria-invalid', 'true');
    await expect(field).toHaveAccessibleDescription(message);
  }
  /** A field the step no longer marks as wrong. */
  async expectValid(label: string | RegExp): Promise<void> {
    await expect(this.page.getByLabel(label, typeof label === 'string' ? { exact: true } : {})).not.toHaveAttribute('aria-invalid', 'true');
  }
  /** "Start over": back to the first step with a fresh wizard. */
  async startOver(): Promise<void> {
    await this.page.getByRole('button', { name: 'Start over' }).click();
  }
}
