/**
 * Bus handlers behind the circuit breaker: once a handler's breaker opens, its messages are acked and sent
 * again with a delay under the same event_id — no attempt spent, nothing pushed toward the dead letters.
 */
import { env } from "cloudflare:workers";
import { describe, it, vi } from "vitest";
import { busConsumerHooks } from "../../workers/bus/consumer-hooks";
import { createQueueHandler } from "../../workers/platform/bus/consumer";
import { createEvent } from "../../workers/platform/bus/envelope";
import { deliver } from "./support/queue";

describe("bus handler breaker", () => {
  it("should park messages while a handler's breaker is open instead of retrying them", async ({ expect }) => {
    let calls = 0;
    const consumer = createQueueHandler({
      ...busConsumerHooks,
      handlers: {
        "outage.test.v1": [
          {
            name: "outage.sink",
            run: async () => {
              calls++;
              throw new Error("downstream is down");
            },
          },
        ],
      },
    });
    const deliverOne = async (attempts: number) => {
      const event = createEvent({ type: "outage.test.v1", source: "t", payload: {} });
      const { result } = await deliver("botplane-bus", [{ body: event, attempts }], consumer);
      return { event, result };
    };
    for (let i = 0; i < 5; i++) expect((await deliverOne(1)).result.retryMessages).toHaveLength(1);
    expect(calls).toBe(5);

    const send = vi.spyOn(env.BUS, "send");
    const { event, result } = await deliverOne(1);
    expect(calls).toBe(5);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(send).toHaveBeenCalledTimes(1);
    const [body, options] = send.mock.calls[0] ?? [];
    expect((body as { event_id: string }).event_id).toBe(event.event_id);
    expect(options?.delaySeconds).toBeGreaterThanOrEqual(29);
    send.mockRestore();
  });
});
