/**
 * Instants at the boundary: a timestamp or from/to outside 1970–9999 (past the Date range, or a year that
 * ISO-8601 cannot write in four digits) is a 400 naming the field, and in a batch rejects only its own event.
 */
import { describe, it } from "vitest";
import { MAX_INSTANT_MS, parseInstant } from "../../workers/bus/normalize";
import { call, json, token } from "./helpers";

interface ErrorBody {
  error: { code: string; message: string; details: { field?: string; issues: { field: string }[] } };
}
interface BatchResult {
  accepted: number;
  rejected: number;
  results: { index: number; status: string; error?: { code: string; field?: string } }[];
}

const OUT_OF_RANGE: readonly (number | string)[] = [1e16, 1e308, 8640000000000000, -1, "+275760-09-13T00:00:00.000Z"];

describe("parseInstant", () => {
  it("should accept 1970 through 9999 in ms, seconds and ISO-8601 and nothing outside", ({ expect }) => {
    expect(parseInstant(0)).toBe(0);
    expect(parseInstant(1234567890)).toBe(1234567890000);
    expect(parseInstant("1234567890000")).toBe(1234567890000);
    expect(parseInstant("9999-12-31T23:59:59.999Z")).toBe(MAX_INSTANT_MS);
    expect(parseInstant(MAX_INSTANT_MS)).toBe(MAX_INSTANT_MS);
    expect(OUT_OF_RANGE.map((v) => parseInstant(v))).toEqual([null, null, null, null, null]);
    expect(parseInstant(MAX_INSTANT_MS + 1)).toBeNull();
    expect(parseInstant("1969-12-31T23:59:59.999Z")).toBeNull();
  });
});

describe("POST /api/v1/events", () => {
  it("should answer 400 naming body.timestamp for a timestamp past the Date range", async ({ expect }) => {
    const auth = await token(["events:publish"]);
    for (const timestamp of OUT_OF_RANGE) {
      const res = await call("/api/v1/events", {
        token: auth,
        body: { type: "bounds.time.v1", source: "t", timestamp, payload: {} },
      });
      expect(res.status, String(timestamp)).toBe(400);
      const body = await json<ErrorBody>(res);
      expect(body.error.code).toBe("invalid_event");
      expect(body.error.details.field).toBe("body.timestamp");
    }
  });

  it("should reject only the out-of-range event of a batch", async ({ expect }) => {
    const res = await call("/api/v1/events", {
      token: await token(["events:publish"]),
      body: {
        events: [
          { type: "bounds.time.v1", source: "t", timestamp: 1234567890000, payload: {} },
          { type: "bounds.time.v1", source: "t", timestamp: 1e16, payload: {} },
          { type: "bounds.time.v1", source: "t", timestamp: 8640000000000000, payload: {} },
          { type: "bounds.time.v1", source: "t", payload: {} },
        ],
      },
    });
    expect(res.status).toBe(200);
    const body = await json<BatchResult>(res);
    expect([body.accepted, body.rejected]).toEqual([2, 2]);
    expect(body.results.map((r) => [r.status, r.error?.field ?? null])).toEqual([
      ["accepted", null],
      ["rejected", "body.events.1.timestamp"],
      ["rejected", "body.events.2.timestamp"],
      ["accepted", null],
    ]);
  });
});

describe("history and dead-letter time filters", () => {
  it("should answer 400 naming query.from / query.to / body.from outside 1970–9999", async ({ expect }) => {
    const read = await token(["events:read"]);
    for (const [path, field] of [
      ["/api/v1/events?from=10000000000000000", "query.from"],
      ["/api/v1/events?to=8640000000000000", "query.to"],
      ["/api/v1/dead-letters?from=%2B275760-09-13T00:00:00.000Z", "query.from"],
      ["/api/v1/dead-letters?to=10000000000000000", "query.to"],
    ] as const) {
      const res = await call(path, { token: read });
      expect(res.status, path).toBe(400);
      expect((await json<ErrorBody>(res)).error.details.issues[0]?.field, path).toBe(field);
    }
    const replay = await call("/api/v1/dead-letters/replay", {
      token: await token(["events:replay"]),
      body: { from: 1e308 },
    });
    expect(replay.status).toBe(400);
    expect((await json<ErrorBody>(replay)).error.details.issues[0]?.field).toBe("body.from");
  });
});
