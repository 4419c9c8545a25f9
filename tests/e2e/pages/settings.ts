/** Page object of the Settings screen: registry entries and export defaults. */
import { expect, type Locator } from '@playwright/test';
import { Screen } from './base.ts';

/** A registry entry as the test types it. */
export interface RegistryEntry {
  address: string;
  plainHttp: boolean;
  tlsVerify: boolean;
  caCertFile?: string;
  authFile?: string;
  username?: string;
  password?: string;
}

/** The Settings screen. */
export class SettingsScreen extends Screen {
  heading(): Locator {
    return this.page.getByRole('heading', { name: 'Settings', level: 2 });
  }
  async open(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Settings' }).click();
    await this.expectShown();
  }
  /** The fieldset of the n-th registry (1-based), named by its legend. */
  registry(n: number): Locator {
    return this.page.getByRole('group', { name: `Registry ${n}`, exact: true });
  }
  async addRegistry(n: number, entry: RegistryEntry): Promise<void> {
    await this.page.getByRole('button', { name: 'Add registry' }).click();
    const group = this.registry(n);
    await group.getByLabel('Address').fill(entry.address);
    await group.getByLabel(/Plain HTTP/).setChecked(entry.plainHttp);
    await group.getByLabel('Verify TLS certificates').setChecked(entry.tlsVerify);
    await group.getByLabel('CA certificate file').fill(entry.caCertFile ?? '');
    await group.getByLabel(/^Auth file/).fill(entry.authFile ?? '');
    await group.getByLabel(/^User name/).fill(entry.username ?? '');
    await group.getByLabel(/^Password/).fill(entry.password ?? '');
  }
  /** Types the n-th registry's "Requests per second at most" (empty for no limit). */
  async setRateLimit(n: number, text: string): Promise<void> {
    await this.registry(n).getByLabel('Requests per second at most').fill(text);
  }
  async expectRateLimit(n: number, text: string): Promise<void> {
    await expect(this.registry(n).getByLabel('Requests per second at most')).toHaveValue(text);
  }
  async setDefaults(defaults: { archive: boolean; partSize: string }): Promise<void> {
    await this.page.getByLabel(/Archive form \(tar parts\) by default/).setChecked(defaults.archive);
    await this.page.getByLabel(/Default part size/).fill(defaults.partSize);
  }
  /** Ticks or clears "Start Ferry's registry with the app" (enabled once the registry was started here). */
  async startRegistryWithApp(on: boolean): Promise<void> {
    const box = this.page.getByLabel("Start Ferry's registry with the app", { exact: true });
    await expect(box).toBeEnabled();
    await box.setChecked(on);
  }
  async save(): Promise<void> {
    await this.page.getByRole('button', { name: 'Save settings' }).click();
    await expect(this.page.getByRole('status').filter({ hasText: 'Settings saved.' })).toBeVisible();
  }
  /** Checks what the form shows for the n-th registry; credentials are never shown back. */
  async expectRegistry(n: number, entry: RegistryEntry): Promise<void> {
    const group = this.registry(n);
    await expect(group.getByLabel('Address')).toHaveValue(entry.address);
    if (entry.plainHttp) await expect(group.getByLabel(/Plain HTTP/)).toBeChecked();
    else await expect(group.getByLabel(/Plain HTTP/)).not.toBeChecked();
    if (entry.tlsVerify) await expect(group.getByLabel('Verify TLS certificates')).toBeChecked();
    else await expect(group.getByLabel('Verify TLS certificates')).not.toBeChecked();
    await expect(group.getByLabel('CA certificate file')).toHaveValue(entry.caCertFile ?? '');
    await expect(group.getByLabel(/^Auth file/)).toHaveValue(entry.authFile ?? '');
    await expect(group.getByLabel(/^User name/)).toHaveValue('');
    await expect(group.getByLabel(/^Password/)).toHaveValue('');
  }
}
