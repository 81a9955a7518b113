/**
 * `/ws/knowledge` and `/ws/metrics` are the live event stream pinned to their subjects: a knowledge change
 * made through `/graphql` arrives on `/ws/knowledge` (and nothing else does), a metric published on the bus
 * arrives on `/ws/metrics` — over Server-Sent Events here; the WebSocket path is the shared stream's own.
 */
import { describe, it } from "vitest";
import { call, token, uniqueId } from "./helpers";

interface Frame {
  event: { type: string; payload: Record<string, unknown> };
}

async function openSse(path: string, scopes: string[]) {
  const res = await call(path, { token: await token(scopes), headers: { accept: "text/event-stream" } });
  if (res.status !== 200 || !res.body) throw new Error(`no stream: ${res.status} ${await res.text()}`);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const frames: Frame[] = [];
  let buffer = "";
  const pump = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const data = buffer
          .slice(0, end)
          .split("\n")
          .find((l) => l.startsWith("data: "));
        buffer = buffer.slice(end + 2);
        if (data) frames.push(JSON.parse(data.slice(6)) as Frame);
      }
    }
  })().catch(() => undefined);
  return {
    res,
    frames,
    close: async () => {
      await reader.cancel();
      await pump;
    },
  };
}

describe("GET /ws/knowledge", () => {
  it("should stream the knowledge.changed event of a mutation and no other subject", async ({ expect }) => {
    const sub = await openSse("/ws/knowledge", ["knowledge:read"]);
    try {
      expect(sub.res.headers.get("content-type")).toContain("text/event-stream");
      const updateId = uniqueId("ws-upd");
      await call("/api/v1/events", {
        token: await token(["events:publish"]),
        body: { type: "metrics.noise", source: "t", payload: { name: "n", value: 1 } },
      });
      const res = await call("/graphql", {
        token: await token(["knowledge:read", "knowledge:write"]),
        body: {
          query: "mutation U($u: KnowledgeUpdate!) { updateKnowledge(update: $u) { applied } }",
          variables: { u: { update_id: updateId, entities: [{ type: "joker", name: uniqueId("Streamed") }] } },
        },
      });
      expect(res.status).toBe(200);
      await expect
        .poll(() => sub.frames.filter((f) => f.event.type === "knowledge.changed").length, { timeout: 10_000 })
        .toBe(1);
      const changed = sub.frames.find((f) => f.event.type === "knowledge.changed");
      expect(changed?.event.payload.response).toMatchObject({ update_id: updateId, applied: true });
      expect(sub.frames.every((f) => f.event.type.startsWith("knowledge."))).toBe(true);
    } finally {
      await sub.close();
    }
  });
});

describe("GET /ws/metrics", () => {
  it("should stream metrics published on the bus", async ({ expect }) => {
    const sub = await openSse("/ws/metrics", ["metrics:read"]);
    try {
      const name = uniqueId("live");
      const res = await call("/api/v1/events", {
        token: await token(["events:publish"]),
        body: { type: "metrics.trainer", source: "trainer", payload: { name, value: 3 } },
      });
      expect(res.status).toBe(202);
      await expect.poll(() => sub.frames.some((f) => f.event.payload.name === name), { timeout: 10_000 }).toBe(true);
      const frame = sub.frames.find((f) => f.event.payload.name === name);
      expect(frame?.event).toMatchObject({ type: "metrics.trainer", payload: { name, value: 3 } });
    } finally {
      await sub.close();
    }
  });
});
