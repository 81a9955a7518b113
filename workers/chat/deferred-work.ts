/**
 * A Deferrer for chat turns run from a bus handler, which has no `waitUntil` to lean on: the turn's
 * background work (inference log rows, metrics) is collected and awaited before the handler returns.
 */
import type { Deferrer } from "../platform/model-port";

export function deferredWork(): Deferrer & { settle(): Promise<void> } {
  const pending: Promise<unknown>[] = [];
  return {
    waitUntil: (p) => void pending.push(p),
    settle: async () => void (await Promise.allSettled(pending)),
  };
}
