/**
 * The knowledge graph in D1: reads for the GraphQL resolvers (a relation comes back with its far end joined,
 * so `synergies { target { name } }` is one query) and KnowledgeUpdate applied as one D1 batch together with
 * its `kg_updates` row — the update_id's primary key makes a repeat fail whole, so nothing applies twice.
 */
import type { Env } from "../../platform/env";
import type { KnowledgeUpdate, UpdateResponse } from "./schemas";

export interface EntityRow {
  id: string;
  type: string;
  name: string;
  properties: Record<string, unknown>;
  updated_at: number;
}

export interface RelationRow {
  id: string;
  type: string;
  strength: number | null;
  conditions: string[];
  properties: Record<string, unknown>;
  source_id: string;
  target_id: string;
  /** The end the query came from is the caller's; the other end is joined in. */
  source?: EntityRow;
  target?: EntityRow;
}

export type Direction = "OUT" | "IN";

export function entityId(type: string, name: string): string {
  return `${type}/${name}`;
}

function relationId(sourceId: string, type: string, targetId: string): string {
  return `${sourceId}|${type}|${targetId}`;
}

function parseObject(text: unknown): Record<string, unknown> {
  if (typeof text !== "string") return {};
  const value: unknown = JSON.parse(text);
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function parseStrings(text: unknown): string[] {
  if (typeof text !== "string") return [];
  const value: unknown = JSON.parse(text);
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function toEntity(row: Record<string, unknown>, prefix = ""): EntityRow {
  return {
    id: String(row[`${prefix}id`]),
    type: String(row[`${prefix}type`]),
    name: String(row[`${prefix}name`]),
    properties: parseObject(row[`${prefix}properties`]),
    updated_at: Number(row[`${prefix}updated_at`]),
  };
}

function toRelation(row: Record<string, unknown>): RelationRow {
  return {
    id: String(row.id),
    type: String(row.type),
    strength: typeof row.strength === "number" ? row.strength : null,
    conditions: parseStrings(row.conditions),
    properties: parseObject(row.properties),
    source_id: String(row.source_id),
    target_id: String(row.target_id),
  };
}

export async function entityById(env: Pick<Env, "DB">, id: string): Promise<EntityRow | null> {
  const row = await env.DB.prepare("SELECT * FROM kg_entities WHERE id = ?").bind(id).first();
  return row ? toEntity(row) : null;
}

export async function listEntities(
  env: Pick<Env, "DB">,
  filter: { type?: string | null; nameContains?: string | null; first: number },
): Promise<EntityRow[]> {
  const where: string[] = [];
  const binds: unknown[] = [];
  if (filter.type) {
    where.push("type = ?");
    binds.push(filter.type);
  }
  if (filter.nameContains) {
    where.push("instr(lower(name), lower(?)) > 0");
    binds.push(filter.nameContains);
  }
  const sql = `SELECT * FROM kg_entities ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id LIMIT ?`;
  const { results } = await env.DB.prepare(sql)
    .bind(...binds, filter.first)
    .all();
  return results.map((r) => toEntity(r));
}

/** Relations at one entity, strongest first, each with its far end joined in. */
export async function relationsOf(
  env: Pick<Env, "DB">,
  id: string,
  options: { direction: Direction; type?: string | null; first: number },
): Promise<RelationRow[]> {
  const [near, far] = options.direction === "OUT" ? ["source_id", "target_id"] : ["target_id", "source_id"];
  const typeClause = options.type ? "AND r.type = ?" : "";
  const sql =
    `SELECT r.*, e.id AS e_id, e.type AS e_type, e.name AS e_name, e.properties AS e_properties, ` +
    `e.updated_at AS e_updated_at FROM kg_relations r JOIN kg_entities e ON e.id = r.${far} ` +
    `WHERE r.${near} = ? ${typeClause} ORDER BY r.strength DESC, r.id LIMIT ?`;
  const binds = options.type ? [id, options.type, options.first] : [id, options.first];
  const { results } = await env.DB.prepare(sql)
    .bind(...binds)
    .all();
  return results.map((row) => {
    const relation = toRelation(row);
    const end = toEntity(row, "e_");
    return options.direction === "OUT" ? { ...relation, target: end } : { ...relation, source: end };
  });
}

export async function listRelations(
  env: Pick<Env, "DB">,
  filter: { type?: string | null; first: number },
): Promise<RelationRow[]> {
  const stmt = filter.type
    ? env.DB.prepare("SELECT * FROM kg_relations WHERE type = ? ORDER BY id LIMIT ?").bind(filter.type, filter.first)
    : env.DB.prepare("SELECT * FROM kg_relations ORDER BY id LIMIT ?").bind(filter.first);
  const { results } = await stmt.all();
  return results.map(toRelation);
}

async function storedResponse(env: Pick<Env, "DB">, updateId: string): Promise<UpdateResponse | null> {
  const row = await env.DB.prepare("SELECT response FROM kg_updates WHERE update_id = ?").bind(updateId).first();
  if (!row) return null;
  return { ...(parseObject(row.response) as unknown as UpdateResponse), applied: false };
}

function upsertStatements(env: Pick<Env, "DB">, update: KnowledgeUpdate, now: number): D1PreparedStatement[] {
  const named = new Set(update.entities.map((e) => entityId(e.type, e.name)));
  const statements = update.entities.map((e) =>
    env.DB.prepare(
      "INSERT INTO kg_entities (id, type, name, properties, updated_at) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT (id) DO UPDATE SET properties = json_patch(kg_entities.properties, excluded.properties), " +
        "updated_at = excluded.updated_at",
    ).bind(entityId(e.type, e.name), e.type, e.name, JSON.stringify(e.properties ?? {}), now),
  );
  // A relation may name an entity this update does not describe: it exists from now on, with no properties.
  const ends = new Map<string, { type: string; name: string }>();
  for (const r of update.relations) {
    for (const end of [r.source, r.target]) {
      const id = entityId(end.type, end.name);
      if (!named.has(id)) ends.set(id, end);
    }
  }
  for (const [id, end] of ends) {
    statements.push(
      env.DB.prepare(
        "INSERT INTO kg_entities (id, type, name, properties, updated_at) VALUES (?, ?, ?, '{}', ?) " +
          "ON CONFLICT (id) DO NOTHING",
      ).bind(id, end.type, end.name, now),
    );
  }
  for (const r of update.relations) {
    const sourceId = entityId(r.source.type, r.source.name);
    const targetId = entityId(r.target.type, r.target.name);
    statements.push(
      env.DB.prepare(
        "INSERT INTO kg_relations (id, source_id, target_id, type, strength, conditions, properties, updated_at) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET strength = excluded.strength, " +
          "conditions = excluded.conditions, properties = json_patch(kg_relations.properties, excluded.properties), " +
          "updated_at = excluded.updated_at",
      ).bind(
        relationId(sourceId, r.type, targetId),
        sourceId,
        targetId,
        r.type,
        r.strength ?? null,
        JSON.stringify(r.conditions ?? []),
        JSON.stringify(r.properties ?? {}),
        now,
      ),
    );
  }
  return statements;
}

/** Applies the update once per update_id; a repeat resolves to the first response with `applied: false`. */
export async function applyUpdate(
  env: Pick<Env, "DB">,
  update: KnowledgeUpdate,
  now = Date.now(),
): Promise<UpdateResponse> {
  const before = await storedResponse(env, update.update_id);
  if (before) return before;
  const response: UpdateResponse = {
    update_id: update.update_id,
    success: true,
    applied: true,
    entities_upserted: update.entities.length,
    relations_upserted: update.relations.length,
    applied_at: now,
    message: `applied ${update.entities.length} entities and ${update.relations.length} relations`,
  };
  const mark = env.DB.prepare("INSERT INTO kg_updates (update_id, response, applied_at) VALUES (?, ?, ?)").bind(
    update.update_id,
    JSON.stringify(response),
    now,
  );
  try {
    await env.DB.batch([mark, ...upsertStatements(env, update, now)]);
    return response;
  } catch (err) {
    // Two deliveries raced past the check: the loser's batch failed whole on the primary key.
    const raced = await storedResponse(env, update.update_id);
    if (raced) return raced;
    throw err;
  }
}
