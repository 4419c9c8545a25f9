/** Page object of the registry and bundle browser. */
import { expect, type Locator } from '@playwright/test';
import { Screen } from './base.ts';

/** The Browse screen: a source, then repositories → tags → platforms → files → preview. */
export class BrowseScreen extends Screen {
  heading(): Locator {
    return this.page.getByRole('heading', { name: 'Browse a registry or a bundle', level: 2 });
  }
  async open(): Promise<void> {
    await this.navButton('Browse').click();
    await this.expectShown();
  }
  /** Opens a registry by address, with plain HTTP ticked under the access options. */
  async openRegistry(host: string): Promise<void> {
    await this.page.getByLabel('A registry', { exact: true }).check();
    await this.page.getByLabel('Registry address (host or host:port)').fill(host);
    await this.page.getByText('Registry access options').click();
    await this.page
      .getByRole('group', { name: 'Registry access' })
      .getByLabel(/Plain HTTP/)
      .check();
    await this.page.getByRole('button', { name: 'Open', exact: true }).click();
  }
  repositories(): Locator {
    return this.page.getByRole('table', { name: /repositories/ });
  }
  tags(): Locator {
    return this.page.getByRole('table', { name: /tags/ });
  }
  async expectRepositoryCount(count: number, more: boolean): Promise<void> {
    await expect(this.repositories()).toHaveAccessibleName(`${count} repositories${more ? ' (more to load)' : ''}`);
  }
  async expectRepositories(names: string[]): Promise<void> {
    for (const name of names) await expect(this.repositories().getByRole('button', { name, exact: true })).toBeVisible();
  }
  async loadMoreRepositories(): Promise<void> {
    await this.page.getByRole('button', { name: 'Load more repositories' }).click();
  }
  async chooseRepository(name: string): Promise<void> {
    await this.repositories().getByRole('button', { name, exact: true }).click();
    await expect(this.page.getByRole('heading', { name: `Tags of ${name}` })).toBeVisible();
  }
  async expectTagCount(count: number, more: boolean): Promise<void> {
    await expect(this.tags()).toHaveAccessibleName(`${count} tags${more ? ' (more to load)' : ''}`);
  }
  /** Clicks "Load more tags" until every page is in (a registry that ignores `n` sends them all at once). */
  async loadAllTags(): Promise<void> {
    const more = this.page.getByRole('button', { name: 'Load more tags' });
    for (let pages = 0; pages < 10 && (await more.count()) > 0; pages += 1) {
      await more.click();
      await expect(this.page.getByRole('status').filter({ hasText: 'Loading tags…' })).toHaveCount(0);
    }
  }
  async showDigests(): Promise<void> {
    await this.page.getByRole('button', { name: 'Show digests' }).click();
  }
  tagRow(tag: string): Locator {
    return this.tags()
      .getByRole('row')
      .filter({ has: this.page.getByRole('button', { name: tag, exact: true }) });
  }
  async chooseTag(tag: string): Promise<void> {
    await this.tags().getByRole('button', { name: tag, exact: true }).click();
    await expect(this.page.getByRole('heading', { name: 'Manifest' })).toBeVisible();
  }
  async pickTag(tag: string): Promise<void> {
    await this.tags()
      .getByRole('button', { name: `Add to export ${tag}`, exact: true })
      .click();
    await expect(this.tags().getByRole('button', { name: `Added ${tag}`, exact: true })).toBeDisabled();
  }
  async choosePlatform(platform: string): Promise<void> {
    await this.page.getByRole('list', { name: 'Platforms' }).getByRole('button', { name: platform, exact: true }).click();
    await expect(this.files()).toBeVisible();
  }
  files(): Locator {
    return this.page.getByRole('list', { name: 'Files', exact: true });
  }
  async expandFolder(name: string): Promise<void> {
    await this.page.getByRole('button', { name: `${name}/`, exact: true }).click();
    await expect(this.page.getByRole('list', { name: `Entries in ${name}` })).toBeVisible();
  }
  /** Clicks the file named `name` in the tree; the preview is headed with its whole path. */
  async previewFile(name: string, path: string = name): Promise<Locator> {
    await this.files().getByRole('button', { name, exact: true }).click();
    const preview = this.page.getByRole('region', { name: `Preview of ${path}` });
    await expect(preview).toBeVisible();
    return preview;
  }
}
