/** Page objects of the officer's Review step (import wizard) and the Settings policy editor. */
import { expect, type Locator } from '@playwright/test';
import { Screen, WizardStep } from './base.ts';

/** The import wizard's Review step: what the bundle changes, the policy's verdict, the decision form and the push. */
export class ImportReviewStep extends WizardStep {
  protected readonly title = 'Review';
  /** Fills in which bundle and target to review (the step opened from the start screen), then asks for the review. */
  async reviewBundle(bundle: string, target: string, options: { plainHttp: boolean }): Promise<void> {
    await this.page.getByLabel('Bundle folder (the folder holding ferry.json)').fill(bundle);
    await this.page.getByLabel('Target registry address and prefix').fill(target);
    if (options.plainHttp) await this.page.getByLabel(/Plain HTTP/).check();
    await this.page.getByRole('button', { name: 'Review bundle' }).click();
  }
  pushButton(): Locator {
    return this.page.getByRole('button', { name: 'Push images', exact: true });
  }
  tagChanges(): Locator {
    return this.page.getByRole('table', { name: /^Tag changes on the target/ });
  }
  policyRules(): Locator {
    return this.page.getByRole('table', { name: /^Site policy/ });
  }
  /** Waits for the report (its verdict notice). */
  async expectReport(): Promise<void> {
    await expect(this.page.getByText(/^Push (allowed|blocked)$/)).toBeVisible();
  }
  /** The row of one rule in the policy table, by its title. */
  rule(title: string | RegExp): Locator {
    return this.policyRules()
      .getByRole('row')
      .filter({ has: this.page.getByRole('rowheader', { name: title }) });
  }
  async approve(key: string, passphrase: string, note?: string): Promise<void> {
    await this.page.getByLabel('Key name or key file (.key)', { exact: true }).fill(key);
    await this.page.getByLabel('Passphrase of the key').fill(passphrase);
    if (note !== undefined) await this.page.getByLabel(/^Note/).fill(note);
    await this.page.getByRole('button', { name: 'Approve', exact: true }).click();
  }
  /** Pushes, answering the confirmation the wizard asks before its first write. */
  async push(): Promise<void> {
    await expect(this.pushButton()).toBeEnabled();
    await this.pushButton().click();
    await this.page
      .getByRole('dialog', { name: /^Push to / })
      .getByRole('button', { name: 'Push', exact: true })
      .click();
  }
}

/** The Settings screen's policy editor. */
export class PolicyEditor extends Screen {
  heading(): Locator {
    return this.page.getByRole('heading', { name: 'Site policy', level: 3 });
  }
  async open(): Promise<void> {
    await this.navButton('Settings').click();
    await this.expectShown();
  }
  field(): Locator {
    return this.page.getByLabel('Policy (YAML)');
  }
  async save(text: string): Promise<void> {
    await this.field().fill(text);
    await this.page.getByRole('button', { name: 'Save policy' }).click();
  }
}
