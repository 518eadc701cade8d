/**
 * A minimal typed event emitter, so transports run in browsers without Node's `events`. Handlers
 * run synchronously in subscription order; one that throws does not stop the others, and the
 * first error is rethrown once all have run, so a bug in a handler surfaces where the event was
 * emitted (the simulated network's `advance`, or the socket's event callback).
 */
import type { Unsubscribe } from "./transport.js";

type Handler<Args extends readonly unknown[]> = (...args: Args) => void;

export class Emitter<Events extends { [name: string]: readonly unknown[] }> {
  readonly #handlers = new Map<keyof Events, Set<Handler<readonly unknown[]>>>();

  on<K extends keyof Events>(event: K, handler: Handler<Events[K]>): Unsubscribe {
    let set = this.#handlers.get(event);
    if (set === undefined) {
      set = new Set();
      this.#handlers.set(event, set);
    }
    // A wrapper gives each subscription its own identity, so subscribing the same function twice
    // yields two independent subscriptions.
    const entry: Handler<readonly unknown[]> = (...args) => handler(...(args as Events[K]));
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.#handlers.get(event);
    if (set === undefined || set.size === 0) return;
    let failed = false;
    let firstError: unknown;
    // A snapshot, so handlers that subscribe or unsubscribe during emit do not change this round.
    for (const handler of [...set]) {
      try {
        handler(...args);
      } catch (error) {
        if (!failed) {
          failed = true;
          firstError = error;
        }
      }
    }
    if (failed) throw firstError;
  }

  listenerCount(event: keyof Events): number {
    return this.#handlers.get(event)?.size ?? 0;
  }

  clear(): void {
    this.#handlers.clear();
  }
}
