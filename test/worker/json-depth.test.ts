/**
 * Deeply nested JSON at the boundary: a payload, metadata or result a few thousand levels deep is a 400
 * naming the field (never a stack overflow in JSON.stringify or Durable Object RPC, i.e. a 500), on
 * register, work items, complete and publish; MAX_JSON_DEPTH levels are still accepted.
 */
import { describe, it } from "vitest";
import { MAX_JSON_DEPTH, pathTooDeep } from "../../workers/platform/json-depth";
import { call, createItems, json, registerBot, token, uniqueId } from "./helpers";

interface ErrorBody {
  error: { code: string; message: string; details: { field?: string; issues?: { field: string }[] } };
}

/** JSON text of `levels` nested objects/arrays: `{"a":[{"a":[…]}]}`. */
function nested(levels: number): string {
  let open = "";
  let close = "";
  for (let i = 0; i < levels; i++) {
    open += i % 2 === 0 ? '{"a":' : "[";
    close = (i % 2 === 0 ? "}" : "]") + close;
  }
  return `${open}1${close}`;
}

const DEEP = nested(5000);
const ALLOWED = nested(MAX_JSON_DEPTH);
const ONE_TOO_MANY = nested(MAX_JSON_DEPTH + 1);

async function fieldOf(res: Response): Promise<string | undefined> {
  const body = await json<ErrorBody>(res);
  return body.error.details.field ?? body.error.details.issues?.[0]?.field;
}

describe("pathTooDeep", () => {
  it("should report the first path past the bound and nothing within it", ({ expect }) => {
    expect(pathTooDeep(JSON.parse(ALLOWED))).toBeNull();
    expect(pathTooDeep(JSON.parse(ONE_TOO_MANY))?.length).toBe(MAX_JSON_DEPTH);
    expect(pathTooDeep({ ok: [[1]], bad: [[[1]]] }, 3)).toEqual(["bad", 0, 0]);
    expect(pathTooDeep(JSON.parse(DEEP))).not.toBeNull();
    expect(pathTooDeep("text")).toBeNull();
  });
});

describe("POST /v1/botz/register", () => {
  it("should answer 400 naming the deep metadata value or extra key", async ({ expect }) => {
    const auth = await token(["botz:write", "botz:read"]);
    const instance = uniqueId("deep");
    const base = `"botz_name":"deep","instance_id":"${instance}","skill_level":"basic"`;
    const viaMetadata = await call("/v1/botz/register", { token: auth, body: `{${base},"metadata":{"k":${DEEP}}}` });
    expect(viaMetadata.status).toBe(400);
    expect(await fieldOf(viaMetadata)).toBe("body.metadata.k");
    const viaExtra = await call("/v1/botz/register", { token: auth, body: `{${base},"extra":${DEEP}}` });
    expect(viaExtra.status).toBe(400);
    expect(await fieldOf(viaExtra)).toBe("body.extra");
    const list = await json<{ instances: { instance_id: string }[] }>(
      await call("/v1/botz/instances?limit=500", { token: auth }),
    );
    expect(list.instances.filter((i) => i.instance_id === instance)).toEqual([]);
    const allowed = await call("/v1/botz/register", { token: auth, body: `{${base},"metadata":{"k":${ALLOWED}}}` });
    expect(allowed.status).toBe(201);
  });
});

describe("POST /v1/workitems and /v1/workitems/complete", () => {
  it("should answer 400 naming body.payload, body.items.1.payload and body.result", async ({ expect }) => {
    const auth = await token(["workitems:write", "workitems:claim", "workitems:read", "botz:write"]);
    const single = await call("/v1/workitems", { token: auth, body: `{"title":"deep","payload":${DEEP}}` });
    expect(single.status).toBe(400);
    expect(await fieldOf(single)).toBe("body.payload");
    const batch = await call("/v1/workitems", {
      token: auth,
      body: `{"items":[{"title":"ok"},{"title":"deep","payload":${DEEP}}]}`,
    });
    expect(batch.status).toBe(400);
    expect(await fieldOf(batch)).toBe("body.items.1.payload");

    const bot = await registerBot("basic", auth);
    const [item] = await createItems(auth, [{ integration_name: uniqueId("deep-int") }]);
    const claim = await call("/v1/workitems/claim", { token: auth, body: { work_item_id: item, botz_id: bot } });
    expect(claim.status).toBe(200);
    const { fencing_token } = await json<{ fencing_token: number }>(claim);
    const prefix = `"work_item_id":"${item}","botz_id":"${bot}","fencing_token":${fencing_token}`;
    const deep = await call("/v1/workitems/complete", { token: auth, body: `{${prefix},"result":${DEEP}}` });
    expect(deep.status).toBe(400);
    expect(await fieldOf(deep)).toBe("body.result");
    const read = await json<{ status: string }>(await call(`/v1/workitems/${item}`, { token: auth }));
    expect(read.status).toBe("claimed");
    const done = await call("/v1/workitems/complete", { token: auth, body: `{${prefix},"result":${ALLOWED}}` });
    expect(done.status).toBe(200);
  });
});

describe("POST /api/v1/events", () => {
  it("should answer 400 naming body.payload for a deep payload, and accept MAX_JSON_DEPTH levels", async ({
    expect,
  }) => {
    const auth = await token(["events:publish"]);
    const head = `"type":"depth.test.v1","source":"t"`;
    const deep = await call("/api/v1/events", { token: auth, body: `{${head},"payload":${DEEP}}` });
    expect(deep.status).toBe(400);
    expect(await json<ErrorBody>(deep)).toMatchObject({
      error: { code: "invalid_event", details: { field: "body.payload" } },
    });
    const oneTooMany = await call("/api/v1/events", { token: auth, body: `{${head},"payload":${ONE_TOO_MANY}}` });
    expect(oneTooMany.status).toBe(400);
    const extension = await call("/api/v1/events", { token: auth, body: `{${head},"payload":1,"ext":${DEEP}}` });
    expect(extension.status).toBe(400);
    expect(await fieldOf(extension)).toBe("body.ext");
    const allowed = await call("/api/v1/events", { token: auth, body: `{${head},"payload":${ALLOWED}}` });
    expect(allowed.status).toBe(202);
  });

  it("should reject only the deep event of a batch", async ({ expect }) => {
    const head = `"type":"depth.test.v1","source":"t"`;
    const res = await call("/api/v1/events", {
      token: await token(["events:publish"]),
      body: `{"events":[{${head},"payload":1},{${head},"payload":${DEEP}},{${head},"payload":2}]}`,
    });
    expect(res.status).toBe(200);
    const body = await json<{ accepted: number; results: { status: string; error?: { field?: string } }[] }>(res);
    expect(body.accepted).toBe(2);
    expect(body.results.map((r) => [r.status, r.error?.field ?? null])).toEqual([
      ["accepted", null],
      ["rejected", "body.events.1.payload"],
      ["accepted", null],
    ]);
  });
});
