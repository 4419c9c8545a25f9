/**
 * A measuring probe installed in the page before the app loads (an init
 * script, so production code has no test hook): long tasks from a
 * PerformanceObserver, every `job:progress` and `job:blobs` server-sent event
 * (by reading a copy of the event stream the page fetches), and input latency as the time from a
 * real click's event timestamp to the moment the DOM shows the result (a
 * MutationObserver, so the time spent queued behind a busy main thread counts).
 *
 * The page functions below are serialised into the page, so they use nothing
 * from this module; the DOM types they need are written out locally because
 * the tests' tsconfig has no DOM library.
 */
import type { Locator, Page } from '@playwright/test';

/** One long task (over 50 ms on the main thread), in the page's clock. */
export interface LongTask {
  start: number;
  duration: number;
}

/** One `job:blobs` or `job:progress` event as the page received it. */
export interface ReceivedEvent {
  name: 'job:blobs' | 'job:progress';
  /** performance.now() when the page's listener ran. */
  at: number;
  jobId: string;
  /** job:blobs: blob states in the batch; job:progress: 0. */
  blobs: number;
  /** job:blobs: states that are done (finished, skipped, mounted); job:progress: blobsDone of the snapshot. */
  done: number;
}

/** One input-latency sample: a click and the DOM change it caused. */
export interface LatencySample {
  at: number;
  ms: number;
}

/** Everything the probe has recorded, and the page's clock now. */
export interface ProbeSnapshot {
  now: number;
  longTasks: LongTask[];
  events: ReceivedEvent[];
  latencies: LatencySample[];
}

/** Which heading a click on a navigation button brings up: the button's name and a regular expression for the `h2`. */
export interface ClickExpectation {
  button: string;
  heading: string;
}

/** The probe's state on `globalThis.__ferryProbe`. */
interface ProbeState extends Omit<ProbeSnapshot, 'now'> {
  /** The heading the last watched click should bring up, and that click's event timestamp. */
  armed: { heading: RegExp; clickedAt: number } | null;
}

/** The page's globals the probe touches, typed by hand (no DOM library in this tsconfig). */
interface ProbeGlobals {
  __ferryProbe?: ProbeState;
  fetch: (input: unknown, init?: unknown) => Promise<{ clone(): { body: { getReader(): { read(): Promise<{ value?: Uint8Array; done: boolean }> } } | null } }>;
  TextDecoder: new () => { decode(bytes?: Uint8Array, options?: { stream: boolean }): string };
  PerformanceObserver: new (callback: (list: { getEntries(): Array<{ startTime: number; duration: number }> }) => void) => {
    observe(options: { type: string; buffered?: boolean }): void;
  };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };
  document: {
    addEventListener(type: string, listener: (event: { timeStamp: number; target: unknown }) => void, capture: boolean): void;
    querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }>;
  };
  performance: { now(): number };
  setTimeout(fn: () => void, ms: number): unknown;
}

/** Runs in the page before any of its scripts. */
function installInPage(expectations: ClickExpectation[]): void {
  const g = globalThis as unknown as ProbeGlobals;
  if (g.__ferryProbe) return;
  const state: ProbeState = { longTasks: [], events: [], latencies: [], armed: null };
  g.__ferryProbe = state;

  new g.PerformanceObserver((list) => {
    for (const entry of list.getEntries()) state.longTasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: true });

  const record = (name: string, data: string): void => {
    if (name === 'job:blobs') {
      const payload = JSON.parse(data) as { jobId: string; blobs: Array<{ state: string }> };
      const done = payload.blobs.filter((b) => b.state === 'finished' || b.state === 'skipped' || b.state === 'mounted').length;
      state.events.push({ name: 'job:blobs', at: g.performance.now(), jobId: payload.jobId, blobs: payload.blobs.length, done });
    } else if (name === 'job:progress') {
      const payload = JSON.parse(data) as { jobId: string; progress: { blobsDone: number } };
      state.events.push({ name: 'job:progress', at: g.performance.now(), jobId: payload.jobId, blobs: 0, done: payload.progress.blobsDone });
    }
  };
  // The app reads its event stream with fetch (the token travels in a header); a copy of that answer is read here, event by event.
  const nativeFetch = g.fetch.bind(globalThis);
  g.fetch = async (input, init) => {
    const response = await nativeFetch(input, init);
    if (!String(input).endsWith('/api/events')) return response;
    const reader = response.clone().body?.getReader();
    if (!reader) return response;
    const decoder = new g.TextDecoder();
    void (async () => {
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        const blocks = buffer.split('\n\n');
        buffer = blocks.pop() ?? '';
        for (const block of blocks) {
          const name = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (name !== undefined && data !== undefined) record(name, data);
        }
      }
    })();
    return response;
  };

  // A watched click keeps its own timestamp: when the browser received the input, before it waited for the main thread.
  const watched = expectations.map((e) => ({ button: e.button, heading: new RegExp(e.heading) }));
  g.document.addEventListener(
    'click',
    (event) => {
      const target = event.target as { closest?(selector: string): { textContent: string | null } | null } | null;
      const button = target?.closest?.('nav button');
      const expected = watched.find((w) => w.button === button?.textContent?.trim());
      if (expected) state.armed = { heading: expected.heading, clickedAt: event.timeStamp };
    },
    true,
  );
  new g.MutationObserver(() => {
    const armed = state.armed;
    if (!armed) return;
    const headings = g.document.querySelectorAll('h2');
    for (let i = 0; i < headings.length; i++) {
      if (!armed.heading.test(headings[i]?.textContent?.trim() ?? '')) continue;
      const now = g.performance.now();
      state.latencies.push({ at: now, ms: now - armed.clickedAt });
      state.armed = null;
      return;
    }
  }).observe(g.document, { childList: true, subtree: true, characterData: true });
}

/**
 * Installs the probe for every later navigation of the page; call before
 * `page.goto`. A click on a navigation button named in `expectations` is
 * timed until an `h2` matching its heading is in the DOM.
 */
export async function installProbe(page: Page, expectations: ClickExpectation[]): Promise<void> {
  await page.addInitScript(installInPage, expectations);
}

/** Everything recorded so far (copied out of the page). */
export function readProbe(page: Page): Promise<ProbeSnapshot> {
  return page.evaluate(() => {
    const g = globalThis as unknown as ProbeGlobals;
    const state = g.__ferryProbe;
    if (!state) throw new Error('the UI probe is not installed in this page');
    return { now: g.performance.now(), longTasks: [...state.longTasks], events: [...state.events], latencies: [...state.latencies] };
  });
}

/** The page's clock now, to mark the start and end of a measured window. */
export function pageNow(page: Page): Promise<number> {
  return page.evaluate(() => (globalThis as unknown as ProbeGlobals).performance.now());
}

/** Upper bound on waiting for one click's effect; past it the sample fails the test. */
const CLICK_EFFECT_TIMEOUT_MS = 15_000;

/** Where to click a control: the centre of its box, read once while the page is idle. */
export async function centreOf(target: Locator): Promise<{ x: number; y: number }> {
  const box = await target.boundingBox();
  if (!box) throw new Error('the control to click has no box: it is not visible');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/**
 * Clicks at `point` with real input and resolves with the milliseconds from
 * the click to the DOM showing its heading (the `sample`-th latency, counted
 * from 0 since the page loaded). It clicks at coordinates rather than through
 * a locator on purpose: a locator click first waits until the page answers,
 * which would leave out exactly the wait behind a busy main thread.
 */
export async function clickLatency(page: Page, point: { x: number; y: number }, sample: number): Promise<number> {
  await page.mouse.click(point.x, point.y);
  return page.evaluate(
    ({ index, timeoutMs }) =>
      new Promise<number>((resolve, reject) => {
        const g = globalThis as unknown as ProbeGlobals;
        const deadline = g.performance.now() + timeoutMs;
        const check = (): void => {
          const found = g.__ferryProbe?.latencies[index];
          if (found) resolve(found.ms);
          else if (g.performance.now() > deadline) reject(new Error(`the click's effect did not show within ${timeoutMs} ms`));
          else g.setTimeout(check, 10);
        };
        check();
      }),
    { index: sample, timeoutMs: CLICK_EFFECT_TIMEOUT_MS },
  );
}

/** What one measured window of a job looked like. */
export interface WindowStats {
  seconds: number;
  longTaskCount: number;
  longTaskMaxMs: number;
  longTaskTotalMs: number;
  latencySamples: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyMaxMs: number;
  blobsEvents: number;
  blobsEventsPerSecond: number;
  progressEvents: number;
  progressEventsPerSecond: number;
  /** Blob states carried by the window's job:blobs events. */
  blobStates: number;
  /** Engine's blobsDone at the window's last job:progress minus at its first. */
  blobsDoneInWindow: number;
}

/** The q-quantile (0..1) of some numbers by nearest rank; NaN when there are none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/** Sums up the probe's records between two page-clock times (a long task counts if it started inside). */
export function windowStats(snapshot: ProbeSnapshot, from: number, to: number): WindowStats {
  const inside = (at: number): boolean => at >= from && at <= to;
  const seconds = (to - from) / 1000;
  const tasks = snapshot.longTasks.filter((t) => inside(t.start)).map((t) => t.duration);
  const latencies = snapshot.latencies.filter((s) => inside(s.at)).map((s) => s.ms);
  const blobs = snapshot.events.filter((e) => e.name === 'job:blobs' && inside(e.at));
  const progress = snapshot.events.filter((e) => e.name === 'job:progress' && inside(e.at));
  const round = (n: number): number => Math.round(n * 10) / 10;
  return {
    seconds: round(seconds),
    longTaskCount: tasks.length,
    longTaskMaxMs: round(Math.max(0, ...tasks)),
    longTaskTotalMs: round(tasks.reduce((a, b) => a + b, 0)),
    latencySamples: latencies.length,
    latencyP50Ms: round(quantile(latencies, 0.5)),
    latencyP95Ms: round(quantile(latencies, 0.95)),
    latencyMaxMs: round(Math.max(0, ...latencies)),
    blobsEvents: blobs.length,
    blobsEventsPerSecond: round(blobs.length / seconds),
    progressEvents: progress.length,
    progressEventsPerSecond: round(progress.length / seconds),
    blobStates: blobs.reduce((n, e) => n + e.blobs, 0),
    blobsDoneInWindow: progress.length > 0 ? (progress[progress.length - 1]?.done ?? 0) - (progress[0]?.done ?? 0) : 0,
  };
}
