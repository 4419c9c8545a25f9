/** Page objects of Ferry's own registry in the app: the import wizard's "run one here" and the start screen's panel. */
import { expect, type Locator, type Page } from '@playwright/test';

/** The registry form's fields as a test fills them. */
export interface RegistryFormValues {
  storage: string;
  port: number;
  listen: string;
  name: string;
  tls: boolean;
  user: string;
  password: string;
}

/** Fills the "Ferry's registry" fieldset inside `scope`. */
async function fillForm(scope: Locator, values: RegistryFormValues): Promise<void> {
  const form = scope.getByRole('group', { name: "Ferry's registry", exact: true });
  await form.getByLabel(/^Storage folder/).fill(values.storage);
  await form.getByLabel('Port', { exact: true }).fill(String(values.port));
  await form.getByLabel('Host name clients use', { exact: true }).fill(values.name);
  await form.getByLabel(/^Listen on/).fill(values.listen);
  await form.getByLabel(/^TLS automatic/).setChecked(values.tls);
  await form.getByLabel(/^User \(/).fill(values.user);
  await form.getByLabel('Password', { exact: true }).fill(values.password);
}

/** The facts of the running registry inside `scope` (Address, Holds, CA…), by their terms. */
async function factOf(scope: Locator, term: string): Promise<string> {
  const facts = scope.getByLabel("Ferry's registry", { exact: true }).and(scope.locator('dl'));
  const row = facts.locator('div').filter({
    has: scope
      .page()
      .getByRole('term')
      .filter({ hasText: new RegExp(`^${term}$`) }),
  });
  return ((await row.getByRole('definition').textContent()) ?? '').trim();
}

/** The target step's "No registry at this site?" section. */
export class RunRegistryHere {
  readonly section: Locator;
  constructor(readonly page: Page) {
    this.section = page.getByRole('region', { name: 'No registry at this site?' });
  }
  async open(): Promise<void> {
    await this.section.getByRole('button', { name: 'I have no registry — run one here' }).click();
  }
  async fill(values: RegistryFormValues): Promise<void> {
    await fillForm(this.section, values);
  }
  /** Starts the registry and makes it the import's target; answers the address it shows. */
  async startAndUse(): Promise<string> {
    await this.section.getByRole('button', { name: "Start Ferry's registry and import into it" }).click();
    await expect(this.section.getByRole('status').filter({ hasText: /^Ferry's registry is running at / })).toBeVisible({ timeout: 60_000 });
    await expect(this.section.getByText(/^The import goes to Ferry's registry at /)).toBeVisible();
    return factOf(this.section, 'Address');
  }
  async fact(term: string): Promise<string> {
    return factOf(this.section, term);
  }
  /** The CA certificate's PEM, as the step shows it. */
  async caPem(): Promise<string> {
    await this.section.getByText('CA certificate clients must trust').click();
    return (await this.section.getByLabel("CA certificate of Ferry's registry").textContent()) ?? '';
  }
}

/** The start screen's "Ferry's registry" section. */
export class RegistryPanel {
  readonly section: Locator;
  constructor(readonly page: Page) {
    this.section = page.getByRole('region', { name: "Ferry's registry", exact: true });
  }
  async expectRunning(address: string): Promise<void> {
    await expect(this.section.getByRole('status').filter({ hasText: `Ferry's registry is running at ${address}.` })).toBeVisible();
  }
  async expectStopped(): Promise<void> {
    await expect(this.section.getByRole('status').filter({ hasText: "Ferry's registry is stopped." })).toBeVisible();
  }
  async fact(term: string): Promise<string> {
    return factOf(this.section, term);
  }
  async stop(): Promise<void> {
    await this.section.getByRole('button', { name: 'Stop the registry' }).click();
    await this.expectStopped();
  }
  /** Starts it with what the form holds (the last start's settings, prefilled) and the password typed now. */
  async start(password: string): Promise<void> {
    await this.section.getByRole('group', { name: "Ferry's registry", exact: true }).getByLabel('Password', { exact: true }).fill(password);
    await this.section.getByRole('button', { name: 'Start the registry' }).click();
  }
  form(): Locator {
    return this.section.getByRole('group', { name: "Ferry's registry", exact: true });
  }
}
