/**
 * Tells the operator when a long job ends while they look elsewhere: an
 * in-app toast in a polite live region (announced by screen readers, closed
 * by the operator or after a while), and, when the page is in the background
 * and the operator allowed it in Settings, a system notification through the
 * browser's Notification API. Only jobs seen running in this page notify, so
 * a reload does not replay old ones.
 */
import { useEffect, useState } from 'react';
import type { JobState } from '../../src-shared/api/contract.ts';
import { useJobs } from '../stores/jobs-store.ts';
import { jobOutcome } from './JobsTable.tsx';

/** How long a toast stays, unless closed first. */
const TOAST_MS = 12_000;
/** Toasts shown at once at most; older ones give way. */
const MAX_TOASTS = 3;

interface Toast {
  id: string;
  title: string;
  text: string;
  tone: 'ok' | 'bad' | 'neutral';
}

/** True when the browser offers notifications and the operator granted them. */
export function notificationsAllowed(): boolean {
  return typeof Notification !== 'undefined' && Notification.permission === 'granted';
}

function notifySystem(job: JobState, text: string): void {
  if (!notificationsAllowed() || document.visibilityState === 'visible') return;
  try {
    new Notification(`Ferry: ${text}`, { body: job.title, tag: job.id });
  } catch {
    // A browser may refuse page-created notifications (Android Chrome wants a service worker); the toast still shows.
  }
}

/** The toasts, rendered once in the app shell. */
export function JobToasts() {
  const [toasts, setToasts] = useState<Toast[]>([]);
  useEffect(
    () =>
      useJobs.subscribe((state, previous) => {
        for (const [id, job] of Object.entries(state.jobs)) {
          const before = previous.jobs[id];
          if (before?.status !== 'running' || job.status === 'running') continue;
          const outcome = jobOutcome(job);
          notifySystem(job, outcome.text);
          setToasts((shown) => [...shown.filter((t) => t.id !== id), { id, title: job.title, text: outcome.text, tone: outcome.tone }].slice(-MAX_TOASTS));
          setTimeout(() => setToasts((shown) => shown.filter((t) => t.id !== id)), TOAST_MS);
        }
      }),
    [],
  );
  return (
    <div className="toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast outcome-${t.tone}`}>
          <strong>{t.text}</strong>
          <span className="outcome-detail">{t.title}</span>
          <button type="button" aria-label={`Close: ${t.text}, ${t.title}`} onClick={() => setToasts((shown) => shown.filter((s) => s.id !== t.id))}>
            Close
          </button>
        </div>
      ))}
    </div>
  );
}
