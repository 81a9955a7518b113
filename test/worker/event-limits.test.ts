/**
 * POST /api/v1/events bounds the whole event, not only its payload: metadata (keys, key length, value size,
 * total), extensions and the envelope each have a limit (workers/bus/event-limits.ts), and going past one is
 * a 413 `payload_too_large` naming the part — never the queue's 503 for a message over 128 KB.
 */
import { describe, it } from "vitest";
import {
  MAX_EXTENSIONS_BYTES,
  MAX_METADATA_BYTES,
  MAX_METADATA_KEYS,
  MAX_METADATA_VALUE_BYTES,
} from "../../workers/bus/event-limits";
import { call, json, token } from "./helpers";

interface ErrorBody {
  error: { code: string; message: string; details: { field: string } };
}

const event = (extra: Record<string, unknown>) => ({
  type: "limits.test.v1",
  source: "t",
  payload: { n: 1 },
  ...extra,
});
const manyKeys = (n: number, value = "v") => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value]));

async function publish(body: unknown): Promise<Response> {
  return call("/api/v1/events", { token: await token(["events:publish"]), body });
}

async function refusal(body: unknown): Promise<[number, string, string]> {
  const res = await publish(body);
  const { error } = await json<ErrorBody>(res);
  return [res.status, error.code, error.details.field];
}

describe("POST /api/v1/events whole-event limits", () => {
  it("should answer 413 naming body.metadata for too many keys, a long key or too many bytes", async ({ expect }) => {
    expect(await refusal(event({ metadata: manyKeys(MAX_METADATA_KEYS + 1) }))).toEqual([
      413,
      "payload_too_large",
      "body.metadata",
    ]);
    expect(await refusal(event({ metadata: { ["k".repeat(257)]: "v" } }))).toEqual([
      413,
      "payload_too_large",
      "body.metadata",
    ]);
    expect(await refusal(event({ metadata: { big: "x".repeat(MAX_METADATA_VALUE_BYTES + 1) } }))).toEqual([
      413,
      "payload_too_large",
      "body.metadata.big",
    ]);
    const total = manyKeys(3, "x".repeat(Math.ceil(MAX_METADATA_BYTES / 3)));
    expect(await refusal(event({ metadata: total }))).toEqual([413, "payload_too_large", "body.metadata"]);
  });

  it("should answer 413 (not the queue's 503) for extensions past 128 KB, naming the key", async ({ expect }) => {
    const huge = "x".repeat(140 * 1024);
    expect(await refusal(event({ blob: huge }))).toEqual([413, "payload_too_large", "body.blob"]);
    expect(await refusal(event({ extensions: { big: huge } }))).toEqual([
      413,
      "payload_too_large",
      "body.extensions.big",
    ]);
    const split = { a: "x".repeat(MAX_EXTENSIONS_BYTES / 2), b: "y".repeat(MAX_EXTENSIONS_BYTES / 2 + 10) };
    expect(await refusal(event(split))).toEqual([413, "payload_too_large", "body.b"]);
  });

  it("should reject only the oversized event of a batch, naming body.events.3.metadata", async ({ expect }) => {
    const res = await publish({
      events: [event({}), event({}), event({}), event({ metadata: manyKeys(20, "m".repeat(7 * 1024)) }), event({})],
    });
    expect(res.status).toBe(200);
    const body = await json<{
      accepted: number;
      results: { status: string; error?: { code: string; field: string } }[];
    }>(res);
    expect(body.accepted).toBe(4);
    expect(body.results[3]).toMatchObject({
      status: "rejected",
      error: { code: "payload_too_large", field: "body.events.3.metadata" },
    });
  });

  it("should accept an event at the limits and keep an extensions object", async ({ expect }) => {
    const auth = await token(["events:publish", "events:read"]);
    const res = await call("/api/v1/events", {
      token: auth,
      body: event({
        metadata: manyKeys(MAX_METADATA_KEYS - 1, "v"),
        extensions: { carried: { a: 1 } },
        top: "x".repeat(MAX_EXTENSIONS_BYTES - 1024),
      }),
    });
    expect(res.status).toBe(202);
    const { event_id } = await json<{ event_id: string }>(res);
    await expect
      .poll(async () => (await call(`/api/v1/events/${event_id}`, { token: auth })).status, {
        timeout: 10_000,
        interval: 50,
      })
      .toBe(200);
    const stored = await json<{ extensions: Record<string, unknown>; metadata: Record<string, string> }>(
      await call(`/api/v1/events/${event_id}`, { token: auth }),
    );
    expect(Object.keys(stored.extensions).sort()).toEqual(["carried", "top"]);
    expect(stored.extensions.carried).toEqual({ a: 1 });
    expect(Object.keys(stored.metadata).length).toBe(MAX_METADATA_KEYS);
  });
});
