/**
 * The knowledge graph through the Worker's entry: the seed's JokerSynergies query as written, generic entity
 * and relation queries, UpdateKnowledge as a mutation and as `knowledge.update` events (once per update_id),
 * KNOWLEDGE_QUERY answered on the bus, and the auth and input checks of `/graphql`.
 */
import { env } from "cloudflare:workers";
import { describe, it } from "vitest";
import { createEvent } from "../../workers/platform/bus/envelope";
import { call, json, token, uniqueId } from "./helpers";
import { loggedEvents } from "./support/bus-log";
import { deliverToBus } from "./support/queue";

const JOKER_SYNERGIES = `query JokerSynergies($jokerName: String!) {
  joker(name: $jokerName) {
    synergies {
      target { name }
      strength
      conditions
    }
  }
}`;

interface GqlBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; locations?: unknown[]; extensions?: Record<string, unknown> }[];
}

const UPDATE = `mutation Update($update: KnowledgeUpdate!) {
  updateKnowledge(update: $update) { update_id success applied entities_upserted relations_upserted message }
}`;

async function gql(query: string, variables: Record<string, unknown> = {}, scopes = ["knowledge:read"]) {
  const res = await call("/graphql", { token: await token(scopes), body: { query, variables } });
  return { res, body: await json<GqlBody>(res) };
}

async function seedJoker(joker: string, updateId = uniqueId("upd")) {
  const update = {
    update_id: updateId,
    entities: [{ type: "joker", name: joker, properties: { rarity: "common" } }],
    relations: [
      {
        source: { type: "joker", name: joker },
        target: { type: "joker", name: `${joker}-blueprint` },
        type: "SYNERGY",
        strength: 0.9,
        conditions: ["copies the joker to its right"],
      },
      {
        source: { type: "joker", name: joker },
        target: { type: "joker", name: `${joker}-mime` },
        type: "SYNERGY",
        strength: 0.4,
        conditions: ["held cards", "steel cards"],
      },
      { source: { type: "joker", name: joker }, target: { type: "card", name: "Ace" }, type: "BOOSTS", strength: 1 },
    ],
  };
  const { res, body } = await gql(UPDATE, { update }, ["knowledge:read", "knowledge:write"]);
  if (res.status !== 200) throw new Error(`seed failed: ${res.status} ${JSON.stringify(body)}`);
  return { update, body };
}

describe("POST /graphql", () => {
  it("should answer the seed's JokerSynergies query as written", async ({ expect }) => {
    const joker = uniqueId("Joker");
    await seedJoker(joker);
    const { res, body } = await gql(JOKER_SYNERGIES, { jokerName: joker });
    expect(res.status).toBe(200);
    expect(body).toEqual({
      data: {
        joker: {
          synergies: [
            { target: { name: `${joker}-blueprint` }, strength: 0.9, conditions: ["copies the joker to its right"] },
            { target: { name: `${joker}-mime` }, strength: 0.4, conditions: ["held cards", "steel cards"] },
          ],
        },
      },
    });
  });

  it("should answer null for a joker it does not know", async ({ expect }) => {
    const { res, body } = await gql(JOKER_SYNERGIES, { jokerName: uniqueId("nobody") });
    expect(res.status).toBe(200);
    expect(body).toEqual({ data: { joker: null } });
  });

  it("should answer generic entity and relation queries", async ({ expect }) => {
    const joker = uniqueId("Gen");
    await seedJoker(joker);
    const { res, body } = await gql(
      `query G($name: String!) {
        entity(type: "joker", name: $name) { id type name properties
          relations(type: "BOOSTS") { type strength target { type name } } }
        incoming: entity(type: "joker", name: "${joker}-mime") {
          relations(direction: IN) { type source { name } } }
        entities(type: "joker", nameContains: $name, first: 5) { name }
      }`,
      { name: joker },
    );
    expect(res.status).toBe(200);
    expect(body.data).toEqual({
      entity: {
        id: `joker/${joker}`,
        type: "joker",
        name: joker,
        properties: { rarity: "common" },
        relations: [{ type: "BOOSTS", strength: 1, target: { type: "card", name: "Ace" } }],
      },
      incoming: { relations: [{ type: "SYNERGY", source: { name: joker } }] },
      entities: [{ name: joker }, { name: `${joker}-blueprint` }, { name: `${joker}-mime` }],
    });
  });

  it("should run queries over GET and refuse a mutation there with 405", async ({ expect }) => {
    const joker = uniqueId("Get");
    await seedJoker(joker);
    const auth = await token(["knowledge:read", "knowledge:write"]);
    const q = encodeURIComponent(JOKER_SYNERGIES);
    const vars = encodeURIComponent(JSON.stringify({ jokerName: joker }));
    const ok = await call(`/graphql?query=${q}&variables=${vars}`, { token: auth });
    expect(ok.status).toBe(200);
    const okBody = await json<GqlBody>(ok);
    expect((okBody.data?.joker as { synergies: unknown[] }).synergies).toHaveLength(2);
    const m = encodeURIComponent(
      `mutation { updateKnowledge(update: {update_id: "x", entities: [{type: "a", name: "b"}]}) { success } }`,
    );
    const refused = await call(`/graphql?query=${m}`, { token: auth });
    expect(refused.status).toBe(405);
    expect((await json<GqlBody>(refused)).errors?.[0]?.extensions?.code).toBe("METHOD_NOT_ALLOWED");
    const badVars = await call(`/graphql?query=${q}&variables=%7Bnot-json`, { token: auth });
    expect(badVars.status).toBe(400);
  });

  it("should refuse a query deeper than the limit with 400 in GraphQL's error form", async ({ expect }) => {
    const deep = `{ joker(name: "x") { relations(first: 1) { target { relations(first: 1) { target { relations(first: 1) {
      target { relations(first: 1) { target { name } } } } } } } } } }`;
    const { res, body } = await gql(deep);
    expect(res.status).toBe(400);
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([
      {
        message: "query depth 10 exceeds the limit of 8",
        locations: [{ line: 1, column: 1 }],
        extensions: { code: "DEPTH_LIMIT_EXCEEDED", depth: 10, limit: 8 },
      },
    ]);
  });

  it("should refuse a query that could touch too many rows with 400 (cost)", async ({ expect }) => {
    const wide = `{ entities(first: 100) { relations(first: 100) { target { relations(first: 100) { type } } } } }`;
    const { res, body } = await gql(wide);
    expect(res.status).toBe(400);
    // entities 1 + 100 × (relations 1 + 100 × (target 1 + (relations 1 + 100 × type 1)))
    expect(body.errors?.[0]?.extensions).toEqual({ code: "COST_LIMIT_EXCEEDED", cost: 1020101, limit: 20000 });
  });

  it("should give syntax and validation errors 400 with their location", async ({ expect }) => {
    const syntax = await gql("{ joker(name: ");
    expect(syntax.res.status).toBe(400);
    expect(syntax.body.errors?.[0]?.locations).toEqual([{ line: 1, column: 15 }]);
    const unknown = await gql('{ joker(name: "x") { nope } }');
    expect(unknown.res.status).toBe(400);
    expect(unknown.body.errors?.[0]?.message).toMatch(/^Cannot query field "nope" on type "Entity"\./);
    const page = await gql("{ entities(first: 1000) { name } }");
    expect(page.res.status).toBe(200);
    expect(page.body.errors?.[0]?.message).toBe("first must be 1..100");
  });

  it("should refuse a bad body, a missing token and a missing scope", async ({ expect }) => {
    const auth = await token(["knowledge:read"]);
    expect((await call("/graphql", { token: auth, body: { query: "" } })).status).toBe(400);
    expect((await call("/graphql", { token: auth, body: "{not json" })).status).toBe(400);
    expect((await call("/graphql", { body: { query: "{ entities { name } }" } })).status).toBe(401);
    const wrong = await call("/graphql", {
      token: await token(["events:read"]),
      body: { query: "{ entities { name } }" },
    });
    expect(wrong.status).toBe(403);
    const mutation = await gql(UPDATE, { update: { update_id: "u", entities: [{ type: "a", name: "b" }] } });
    expect(mutation.res.status).toBe(403);
    expect(mutation.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
  });
});

describe("UpdateKnowledge", () => {
  it("should apply a mutation once per update_id and answer a repeat with the first response", async ({ expect }) => {
    const joker = uniqueId("Once");
    const { update, body: first } = await seedJoker(joker);
    expect(first.data?.updateKnowledge).toEqual({
      update_id: update.update_id,
      success: true,
      applied: true,
      entities_upserted: 1,
      relations_upserted: 3,
      message: "applied 1 entities and 3 relations",
    });
    // The same update_id with other content changes nothing: it is the same update.
    const changed = { ...update, entities: [{ type: "joker", name: joker, properties: { rarity: "legendary" } }] };
    const again = await gql(UPDATE, { update: changed }, ["knowledge:write", "knowledge:read"]);
    expect(again.body.data?.updateKnowledge).toEqual({ ...(first.data?.updateKnowledge as object), applied: false });
    const entity = await gql(`{ entity(type: "joker", name: "${joker}") { properties } }`);
    expect(entity.body.data).toEqual({ entity: { properties: { rarity: "common" } } });
    const changes = await loggedEvents("knowledge.changed", `knowledge:${update.update_id}`);
    expect(changes).toHaveLength(1);
  });

  it("should refuse an invalid update as a GraphQL error naming the field", async ({ expect }) => {
    const { res, body } = await gql(
      UPDATE,
      { update: { update_id: "bad", entities: [{ type: "no spaces allowed", name: "x" }] } },
      ["knowledge:write", "knowledge:read"],
    );
    expect(res.status).toBe(200);
    expect(body.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(body.errors?.[0]?.message).toMatch(/^update\.entities\.0\.type: must be a word/);
  });

  it("should apply knowledge.update events once, duplicates in one batch and across batches", async ({ expect }) => {
    const joker = uniqueId("Bus");
    const event = createEvent({
      type: "knowledge.update",
      source: "test",
      payload: {
        update_id: uniqueId("bus-upd"),
        relations: [
          {
            source: { type: "joker", name: joker },
            target: { type: "joker", name: "Baron" },
            type: "SYNERGY",
            strength: 0.7,
          },
        ],
      },
    });
    const same = createEvent({ type: "knowledge.update", source: "test", payload: event.payload });
    const batch = await deliverToBus([event, event, same]);
    expect(batch.outcomes).toEqual(["acked", "acked", "acked"]);
    expect((await deliverToBus([event, same])).outcomes).toEqual(["acked", "acked"]);
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM kg_updates WHERE update_id = ?")
      .bind((event.payload as { update_id: string }).update_id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(1);
    const { body } = await gql(JOKER_SYNERGIES, { jokerName: joker });
    expect(body.data).toEqual({ joker: { synergies: [{ target: { name: "Baron" }, strength: 0.7, conditions: [] }] } });
  });

  it("should dead-letter a knowledge.update whose payload is invalid", async ({ expect }) => {
    const event = createEvent({ type: "knowledge.update", source: "test", payload: { entities: "nope" } });
    const first = await deliverToBus([event]);
    const failure = await env.DB.prepare("SELECT error FROM delivery_failures WHERE event_id = ?")
      .bind(event.event_id)
      .first();
    expect(failure).toBeNull();
    expect(first.outcomes).toEqual(["acked"]);
    const letter = await env.DB.prepare("SELECT error FROM dead_letters WHERE event_id = ?")
      .bind(event.event_id)
      .first<{ error: string }>();
    expect(letter?.error).toMatch(/knowledge\.update payload\.entities/);
  });
});

describe("KNOWLEDGE_QUERY on the bus", () => {
  it("should answer a knowledge.query event with knowledge.response under its correlation_id, once", async ({
    expect,
  }) => {
    const joker = uniqueId("Ask");
    await seedJoker(joker);
    const correlationId = uniqueId("ask");
    const event = createEvent({
      type: "knowledge.query",
      source: "advisor",
      correlationId,
      payload: { query: JOKER_SYNERGIES, variables: { jokerName: joker } },
    });
    expect((await deliverToBus([event])).outcomes).toEqual(["acked"]);
    expect((await deliverToBus([event])).outcomes).toEqual(["acked"]);
    const answers = await loggedEvents("knowledge.response", correlationId);
    expect(answers).toHaveLength(1);
    expect(answers[0]?.payload).toEqual({
      query_event_id: event.event_id,
      status: 200,
      data: {
        joker: {
          synergies: [
            { target: { name: `${joker}-blueprint` }, strength: 0.9, conditions: ["copies the joker to its right"] },
            { target: { name: `${joker}-mime` }, strength: 0.4, conditions: ["held cards", "steel cards"] },
          ],
        },
      },
    });
  });

  it("should answer a query that fails its limits with its errors, not silence", async ({ expect }) => {
    const correlationId = uniqueId("ask-bad");
    await deliverToBus([
      createEvent({ type: "knowledge.query", source: "advisor", correlationId, payload: { query: "{ nope }" } }),
    ]);
    const [answer] = await loggedEvents("knowledge.response", correlationId);
    expect(answer?.payload).toMatchObject({
      status: 400,
      errors: [{ message: 'Cannot query field "nope" on type "Query".' }],
    });
  });
});
