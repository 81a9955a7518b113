/**
 * Late-bound capabilities for Durable Objects. An object may import only other objects and the platform, yet
 * some must run domain code (a chat turn for a socket's message, a workflow step that calls a model). The
 * object's contract declares a slot for what it needs; the Worker entry, the composition root, fills it when
 * the module loads, before any request or alarm reaches an object of the same script.
 */

export interface ProvidedSlot<T> {
  /** Binds the capability; the composition root calls this once per isolate. */
  provide(value: T): void;
  /** The bound capability; throws if the composition root never provided it (a wiring bug, not bad input). */
  get(): T;
  /** Whether a value is bound: for optional capabilities. */
  has(): boolean;
}

export function providedSlot<T>(name: string): ProvidedSlot<T> {
  let bound: { value: T } | undefined;
  return {
    provide(value) {
      bound = { value };
    },
    get() {
      if (bound === undefined) throw new Error(`${name} was not provided by the Worker entry`);
      return bound.value;
    },
    has() {
      return bound !== undefined;
    },
  };
}
