/**
 * The service's event hub: one typed emitter for the contract's events, so
 * every front end (IPC, server-sent events, tests) subscribes the same way.
 */
import type { ApiEvent, ApiEvents } from '../../src-shared/api/contract.ts';

/** A listener of one event. */
export type Listener<E extends ApiEvent> = (payload: ApiEvents[E]) => void;

/** Typed publish/subscribe; a throwing listener never breaks the job that emitted. */
export class EventHub {
  private readonly listeners = new Map<ApiEvent, Set<(payload: never) => void>>();

  /** Subscribes; returns the unsubscribe function. */
  on<E extends ApiEvent>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Delivers an event to every listener. */
  emit<E extends ApiEvent>(event: E, payload: ApiEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<E>)(payload);
      } catch {
        // A front end's listener failing (a closed SSE stream) must not fail the job.
      }
    }
  }
}
