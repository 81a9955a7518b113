/**
 * The knowledge graph's messages: KnowledgeUpdate → UpdateResponse (seed 002's UpdateKnowledge; the seed names
 * them but leaves their fields open, so these are botplane's), the KNOWLEDGE_QUERY event payload, and the
 * GraphQL-over-HTTP request body.
 */
import { z } from "@hono/zod-openapi";

const NameSchema = z.string().trim().min(1).max(200);
const TypeSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z][A-Za-z0-9_]*$/, "must be a word: letters, digits and _ (e.g. joker, SYNERGY)");
const PropertiesSchema = z.record(z.string().max(100), z.unknown());

export const EntityRefSchema = z.object({ type: TypeSchema, name: NameSchema });

export const EntityInputSchema = EntityRefSchema.extend({ properties: PropertiesSchema.optional() });

export const RelationInputSchema = z.object({
  source: EntityRefSchema,
  target: EntityRefSchema,
  type: TypeSchema,
  strength: z.number().finite().optional(),
  conditions: z.array(z.string().min(1).max(500)).max(50).optional(),
  properties: PropertiesSchema.optional(),
});

export const MAX_UPDATE_ITEMS = 500;

export const KnowledgeUpdateSchema = z
  .object({
    update_id: z.string().min(1).max(128),
    source: z.string().min(1).max(128).optional(),
    entities: z.array(EntityInputSchema).max(MAX_UPDATE_ITEMS).default([]),
    relations: z.array(RelationInputSchema).max(MAX_UPDATE_ITEMS).default([]),
  })
  .refine((u) => u.entities.length + u.relations.length > 0, "an update needs at least one entity or relation")
  .openapi("KnowledgeUpdate");
export type KnowledgeUpdate = z.infer<typeof KnowledgeUpdateSchema>;

export const UpdateResponseSchema = z
  .object({
    update_id: z.string(),
    success: z.boolean(),
    /** False when this update_id was applied before: the response is the first one, nothing changed. */
    applied: z.boolean(),
    entities_upserted: z.number().int(),
    relations_upserted: z.number().int(),
    applied_at: z.number().int(),
    message: z.string(),
  })
  .openapi("UpdateResponse");
export type UpdateResponse = z.infer<typeof UpdateResponseSchema>;

export const GraphqlBodySchema = z
  .object({
    query: z.string().min(1).max(20_000),
    operationName: z.string().max(200).nullish(),
    variables: z.record(z.string(), z.unknown()).nullish(),
  })
  .openapi("GraphQLRequest");
export type GraphqlBody = z.infer<typeof GraphqlBodySchema>;

/** `knowledge.query` payload: a GraphQL query asked over the bus; the answer is `knowledge.response`. */
export const KnowledgeQueryPayloadSchema = GraphqlBodySchema;

const GraphqlErrorSchema = z.object({
  message: z.string(),
  locations: z.array(z.object({ line: z.number(), column: z.number() })).optional(),
  path: z.array(z.union([z.string(), z.number()])).optional(),
  extensions: z.record(z.string(), z.unknown()).optional(),
});

export const GraphqlResponseSchema = z
  .object({ data: z.unknown().optional(), errors: z.array(GraphqlErrorSchema).optional() })
  .openapi("GraphQLResponse");
export type GraphqlResponse = z.infer<typeof GraphqlResponseSchema>;
export type GraphqlErrorJson = z.infer<typeof GraphqlErrorSchema>;
