/**
 * The app's sample flow (issue 17): `demo:start`, `demo:stop` and
 * `demo:status` over startDemo (usecases/demo.ts), keeping at most one
 * running per service. The sample registries live in `demo/` beside the
 * catalog (so a test's or `ferry ui --catalog`'s own folder keeps them), and
 * stop when the user says so or the service closes with the app.
 */
import { dirname, join } from 'node:path';
import type { DemoStatus } from '../../src-shared/api/demo.ts';
import { DEMO_FOLDER, type DemoSession } from '../usecases/demo.ts';

/** The service's one sample flow. */
export class DemoRegistries {
  private session: DemoSession | undefined;
  /** Starts and stops run one after another, so two clicks never start four registries. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly catalogPath: string) {}

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** demo:start — stops a running sample flow, then starts a fresh one (new samples, empty target and drive). */
  start(): Promise<DemoStatus> {
    return this.serial(async () => {
      await this.shutdown();
      const { startDemo } = await import('../usecases/demo.ts');
      this.session = await startDemo({ folder: join(dirname(this.catalogPath), DEMO_FOLDER) });
      return this.statusNow();
    });
  }

  /** demo:stop — stops both sample registries; their folders stay. */
  stop(): Promise<{ stopped: boolean }> {
    return this.serial(async () => ({ stopped: await this.shutdown() }));
  }

  /** demo:status — whether a sample flow runs, and where. */
  status(): Promise<DemoStatus> {
    return this.serial(async () => this.statusNow());
  }

  /** Stops the sample registries when the service closes. */
  close(): Promise<boolean> {
    return this.serial(() => this.shutdown());
  }

  private statusNow(): DemoStatus {
    return this.session ? { running: true, demo: this.session.state } : { running: false };
  }

  private async shutdown(): Promise<boolean> {
    const session = this.session;
    this.session = undefined;
    if (!session) return false;
    await session.close();
    return true;
  }
}
