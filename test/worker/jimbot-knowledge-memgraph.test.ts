/**
 * The optional external Memgraph (MEMGRAPH_URL, here the fake Neo4j HTTP endpoint): every applied update is
 * mirrored as Cypher MERGEs after the answer, a repeat is not mirrored again, and the `memgraph` breaker
 * (3 failures in the test config) stops calling an endpoint that keeps failing — while updates keep succeeding.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { call, json, token, uniqueId } from "./helpers";

const FAKE = env.TEST_FAKE_UPSTREAMS_URL;
const MUTATION = "mutation U($u: KnowledgeUpdate!) { updateKnowledge(update: $u) { applied } }";

interface Recorded {
  body: { statements: { statement: string; parameters: Record<string, unknown> }[] };
}

/** What the fake Memgraph received that mentions `text` (its `contains` filter matches model names only). */
async function mirrored(text: string): Promise<Recorded[]> {
  const all = await (await fetch(`${FAKE}/_requests?path=${encodeURIComponent("/memgraph/")}`)).json<Recorded[]>();
  return all.filter((r) => JSON.stringify(r.body).includes(text));
}

async function update(updateId: string, name: string) {
  const res = await call("/graphql", {
    token: await token(["knowledge:read", "knowledge:write"]),
    body: { query: MUTATION, variables: { u: { update_id: updateId, entities: [{ type: "joker", name }] } } },
  });
  return { status: res.status, body: await json(res) };
}

describe("knowledge mirror to Memgraph", () => {
  it("should mirror an applied update once as Cypher MERGE statements", async ({ expect }) => {
    const name = uniqueId("Mirrored");
    const updateId = uniqueId("mirror");
    expect(await update(updateId, name)).toEqual({
      status: 200,
      body: { data: { updateKnowledge: { applied: true } } },
    });
    await expect.poll(async () => (await mirrored(name)).length, { timeout: 10_000 }).toBe(1);
    const [request] = await mirrored(name);
    expect(request?.body.statements).toEqual([
      {
        statement: "MERGE (n:Entity {id: $id}) SET n.type = $type, n.name = $name, n += $properties",
        parameters: { id: `joker/${name}`, type: "joker", name, properties: {} },
      },
    ]);
    // The same update_id again: nothing applied, nothing mirrored.
    expect((await update(updateId, name)).body).toEqual({ data: { updateKnowledge: { applied: false } } });
    expect(await mirrored(name)).toHaveLength(1);
  });

  it("should stop calling a failing Memgraph once its breaker opens, and keep applying updates", async ({ expect }) => {
    const tag = uniqueId("fake-memgraph-down");
    for (let i = 1; i <= 3; i++) {
      expect((await update(uniqueId("down"), `${tag}-${i}`)).status).toBe(200);
      await expect.poll(async () => (await mirrored(tag)).length, { timeout: 10_000 }).toBe(i);
    }
    // Three failures opened the breaker: the fourth update is stored but never sent to Memgraph.
    const fourth = await update(uniqueId("down"), `${tag}-4`);
    expect(fourth).toEqual({ status: 200, body: { data: { updateKnowledge: { applied: true } } } });
    const entity = await call("/graphql", {
      token: await token(["knowledge:read"]),
      body: { query: `{ entity(type: "joker", name: "${tag}-4") { name } }` },
    });
    expect(await json(entity)).toEqual({ data: { entity: { name: `${tag}-4` } } });
    expect(await mirrored(tag)).toHaveLength(3);
  });
});
