/**
 * The knowledge graph's GraphQL schema (graphql-js, built from type objects: no code generation at run
 * time). `joker(name) { synergies { target { name } strength conditions } }` answers the seed's
 * JokerSynergies query as written; `entity`, `entities`, `relations` and `Entity.relations` are the generic
 * reads; `updateKnowledge` is UpdateKnowledge. Every resolver checks the request's abort signal first, so a
 * query past its time budget stops resolving.
 */
import {
  GraphQLBoolean,
  GraphQLError,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLID,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLScalarType,
  GraphQLSchema,
  GraphQLString,
  valueFromASTUntyped,
} from "graphql";
import type { Env } from "../../platform/env";
import { KnowledgeUpdateSchema, type UpdateResponse } from "./schemas";
import {
  entityById,
  entityId,
  listEntities,
  listRelations,
  relationsOf,
  type Direction,
  type EntityRow,
  type RelationRow,
} from "./store";

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 100;
export const SYNERGY = "SYNERGY";

export interface GraphContext {
  env: Pick<Env, "DB">;
  signal: AbortSignal;
  /** Awaited by every resolver before its read: lets tests and benches slow a query deterministically. */
  beforeResolve?: (() => Promise<void>) | undefined;
  applyUpdate: (update: unknown) => Promise<UpdateResponse>;
}

async function enter(ctx: GraphContext): Promise<void> {
  ctx.signal.throwIfAborted();
  if (ctx.beforeResolve) await ctx.beforeResolve();
  ctx.signal.throwIfAborted();
}

function page(first: unknown): number {
  const n = typeof first === "number" ? first : DEFAULT_PAGE;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) throw new GraphQLError(`first must be 1..${MAX_PAGE}`);
  return n;
}

const JsonScalar = new GraphQLScalarType({
  name: "JSON",
  description: "Any JSON value (entity and relation properties)",
  coerceOutputValue: (value) => value,
  coerceInputValue: (value) => value,
  coerceInputLiteral: (ast) => valueFromASTUntyped(ast),
});

const DirectionEnum = new GraphQLEnumType({
  name: "Direction",
  values: { OUT: { value: "OUT" }, IN: { value: "IN" } },
});

const pageArg = { first: { type: GraphQLInt, description: `1..${MAX_PAGE}, default ${DEFAULT_PAGE}` } };

async function endOf(row: RelationRow, side: "source" | "target", ctx: GraphContext): Promise<EntityRow | null> {
  const joined = row[side];
  if (joined) return joined;
  await enter(ctx);
  return entityById(ctx.env, side === "source" ? row.source_id : row.target_id);
}

const EntityType: GraphQLObjectType<EntityRow, GraphContext> = new GraphQLObjectType<EntityRow, GraphContext>({
  name: "Entity",
  description: "A node: a joker, card, strategy… one per (type, name)",
  fields: () => ({
    id: { type: new GraphQLNonNull(GraphQLID) },
    type: { type: new GraphQLNonNull(GraphQLString) },
    name: { type: new GraphQLNonNull(GraphQLString) },
    properties: { type: new GraphQLNonNull(JsonScalar) },
    updatedAt: { type: new GraphQLNonNull(GraphQLFloat), resolve: (e) => e.updated_at },
    synergies: {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(RelationType))),
      description: `Outgoing ${SYNERGY} relations, strongest first`,
      args: pageArg,
      resolve: async (e, args: { first?: number | null }, ctx) => {
        await enter(ctx);
        return relationsOf(ctx.env, e.id, { direction: "OUT", type: SYNERGY, first: page(args.first) });
      },
    },
    relations: {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(RelationType))),
      args: { type: { type: GraphQLString }, direction: { type: DirectionEnum, defaultValue: "OUT" }, ...pageArg },
      resolve: async (e, args: { type?: string | null; direction: Direction; first?: number | null }, ctx) => {
        await enter(ctx);
        return relationsOf(ctx.env, e.id, { direction: args.direction, type: args.type, first: page(args.first) });
      },
    },
  }),
});

const RelationType: GraphQLObjectType<RelationRow, GraphContext> = new GraphQLObjectType<RelationRow, GraphContext>({
  name: "Relation",
  description: "A directed edge between two entities; a synergy has type SYNERGY",
  fields: () => ({
    id: { type: new GraphQLNonNull(GraphQLID) },
    type: { type: new GraphQLNonNull(GraphQLString) },
    strength: { type: GraphQLFloat },
    conditions: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(GraphQLString))) },
    properties: { type: new GraphQLNonNull(JsonScalar) },
    source: { type: EntityType, resolve: (r, _args, ctx: GraphContext) => endOf(r, "source", ctx) },
    target: { type: EntityType, resolve: (r, _args, ctx: GraphContext) => endOf(r, "target", ctx) },
  }),
});

const UpdateResponseType = new GraphQLObjectType({
  name: "UpdateResponse",
  fields: {
    update_id: { type: new GraphQLNonNull(GraphQLString) },
    success: { type: new GraphQLNonNull(GraphQLBoolean) },
    applied: { type: new GraphQLNonNull(GraphQLBoolean) },
    entities_upserted: { type: new GraphQLNonNull(GraphQLInt) },
    relations_upserted: { type: new GraphQLNonNull(GraphQLInt) },
    applied_at: { type: new GraphQLNonNull(GraphQLFloat) },
    message: { type: new GraphQLNonNull(GraphQLString) },
  },
});

const EntityRefInput = new GraphQLInputObjectType({
  name: "EntityRef",
  fields: { type: { type: new GraphQLNonNull(GraphQLString) }, name: { type: new GraphQLNonNull(GraphQLString) } },
});

const KnowledgeUpdateInput = new GraphQLInputObjectType({
  name: "KnowledgeUpdate",
  fields: () => ({
    update_id: { type: new GraphQLNonNull(GraphQLString) },
    source: { type: GraphQLString },
    entities: {
      type: new GraphQLList(
        new GraphQLNonNull(
          new GraphQLInputObjectType({
            name: "EntityInput",
            fields: {
              type: { type: new GraphQLNonNull(GraphQLString) },
              name: { type: new GraphQLNonNull(GraphQLString) },
              properties: { type: JsonScalar },
            },
          }),
        ),
      ),
    },
    relations: {
      type: new GraphQLList(
        new GraphQLNonNull(
          new GraphQLInputObjectType({
            name: "RelationInput",
            fields: {
              source: { type: new GraphQLNonNull(EntityRefInput) },
              target: { type: new GraphQLNonNull(EntityRefInput) },
              type: { type: new GraphQLNonNull(GraphQLString) },
              strength: { type: GraphQLFloat },
              conditions: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
              properties: { type: JsonScalar },
            },
          }),
        ),
      ),
    },
  }),
});

/** Drops GraphQL's explicit nulls so the zod schema sees absent fields as absent. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

const QueryType = new GraphQLObjectType<unknown, GraphContext>({
  name: "Query",
  fields: {
    joker: {
      type: EntityType,
      description: "The joker of that name (an entity of type `joker`)",
      args: { name: { type: new GraphQLNonNull(GraphQLString) } },
      resolve: async (_root, args: { name: string }, ctx) => {
        await enter(ctx);
        return entityById(ctx.env, entityId("joker", args.name));
      },
    },
    entity: {
      type: EntityType,
      args: { type: { type: new GraphQLNonNull(GraphQLString) }, name: { type: new GraphQLNonNull(GraphQLString) } },
      resolve: async (_root, args: { type: string; name: string }, ctx) => {
        await enter(ctx);
        return entityById(ctx.env, entityId(args.type, args.name));
      },
    },
    entities: {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(EntityType))),
      args: { type: { type: GraphQLString }, nameContains: { type: GraphQLString }, ...pageArg },
      resolve: async (
        _root,
        args: { type?: string | null; nameContains?: string | null; first?: number | null },
        ctx,
      ) => {
        await enter(ctx);
        return listEntities(ctx.env, { type: args.type, nameContains: args.nameContains, first: page(args.first) });
      },
    },
    relations: {
      type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(RelationType))),
      args: { type: { type: GraphQLString }, ...pageArg },
      resolve: async (_root, args: { type?: string | null; first?: number | null }, ctx) => {
        await enter(ctx);
        return listRelations(ctx.env, { type: args.type, first: page(args.first) });
      },
    },
  },
});

const MutationType = new GraphQLObjectType<unknown, GraphContext>({
  name: "Mutation",
  fields: {
    updateKnowledge: {
      type: new GraphQLNonNull(UpdateResponseType),
      description: "UpdateKnowledge: applied once per update_id; a repeat returns the first response, applied=false",
      args: { update: { type: new GraphQLNonNull(KnowledgeUpdateInput) } },
      resolve: async (_root, args: { update: unknown }, ctx) => {
        ctx.signal.throwIfAborted();
        const parsed = KnowledgeUpdateSchema.safeParse(withoutNulls(args.update));
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          throw new GraphQLError(`update.${issue?.path.map(String).join(".") ?? ""}: ${issue?.message ?? "invalid"}`, {
            extensions: { code: "BAD_USER_INPUT" },
          });
        }
        return ctx.applyUpdate(parsed.data);
      },
    },
  },
});

export const knowledgeSchema = new GraphQLSchema({ query: QueryType, mutation: MutationType });
