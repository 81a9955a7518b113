/**
 * Moving a Durable Object's clock: objects read time through a replaceable `clock` property, so a test runs
 * it ahead instead of waiting. `withClock` hands the test a `move(ms)` and always puts the real clock back.
 */
import { runInDurableObject } from "cloudflare:test";

interface Clocked {
  clock: () => number;
}

/** Runs `fn` inside the object with a clock `lead` ms ahead of real time that `move` pushes further. */
export async function withClock<O extends Rpc.DurableObjectBranded & Clocked, T>(
  stub: DurableObjectStub<O>,
  fn: (instance: O, move: (ms: number) => void, state: DurableObjectState) => Promise<T>,
  lead = 0,
): Promise<T> {
  return runInDurableObject(stub, async (instance: O, state) => {
    let ahead = lead;
    instance.clock = () => Date.now() + ahead;
    try {
      return await fn(
        instance,
        (ms) => {
          ahead += ms;
        },
        state,
      );
    } finally {
      instance.clock = () => Date.now();
    }
  });
}

/** Sets an object's clock `lead` ms ahead of real time until set back with a lead of 0. */
export async function setClockLead<O extends Rpc.DurableObjectBranded & Clocked>(
  stub: DurableObjectStub<O>,
  lead: number,
): Promise<void> {
  await runInDurableObject(stub, (instance: O) => {
    instance.clock = lead === 0 ? () => Date.now() : () => Date.now() + lead;
  });
}

/**
 * Stops an object's clock at `at` (epoch ms), or with null puts the real clock back. A stopped clock makes
 * durations and refills exact however slowly the machine runs the steps between two calls.
 */
export async function stopClock<O extends Rpc.DurableObjectBranded & Clocked>(
  stub: DurableObjectStub<O>,
  at: number | null,
): Promise<void> {
  await runInDurableObject(stub, (instance: O) => {
    instance.clock = at === null ? () => Date.now() : () => at;
  });
}
