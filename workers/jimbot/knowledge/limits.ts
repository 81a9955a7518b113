/**
 * Depth and cost limits, checked on a validated document before anything runs. Depth counts nested
 * selections (fragments followed); cost counts each field once per parent it may be resolved for, a list
 * field multiplying what is under it by its `first` (default page size) — so `entities { relations {
 * target { relations { … } } } }` is priced by how many rows it could touch, not how long it looks.
 */
import {
  getNamedType,
  getNullableType,
  GraphQLError,
  isListType,
  isObjectType,
  Kind,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "graphql";
import { DEFAULT_PAGE } from "./graphql-schema";

export const MAX_DEPTH = 8;
export const MAX_COST = 20_000;

interface Walk {
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  schema: GraphQLSchema;
}

function firstArg(value: ValueNode | undefined, variables: Record<string, unknown>): number {
  if (!value) return DEFAULT_PAGE;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return typeof v === "number" ? v : DEFAULT_PAGE;
  }
  return DEFAULT_PAGE;
}

/** Depth and cost of a selection set on `parent`. */
function measure(
  set: SelectionSetNode,
  parent: GraphQLObjectType,
  walk: Walk,
  seen: ReadonlySet<string>,
): { depth: number; cost: number } {
  let depth = 0;
  let cost = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith("__")) continue;
      const field = parent.getFields()[selection.name.value];
      if (!field) continue;
      const named = getNamedType(field.type);
      let inner = { depth: 0, cost: 0 };
      if (selection.selectionSet && isObjectType(named)) inner = measure(selection.selectionSet, named, walk, seen);
      const list = isListType(getNullableType(field.type)) && isObjectType(named);
      const firstNode = selection.arguments?.find((a) => a.name.value === "first")?.value;
      const times = list ? firstArg(firstNode, walk.variables) : 1;
      depth = Math.max(depth, 1 + inner.depth);
      cost += 1 + times * inner.cost;
    } else {
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? walk.fragments.get(selection.name.value) : selection;
      const name = selection.kind === Kind.FRAGMENT_SPREAD ? selection.name.value : undefined;
      if (!fragment || (name && seen.has(name))) continue;
      const typeName = fragment.typeCondition?.name.value;
      const on = typeName ? walk.schema.getType(typeName) : parent;
      const inner = measure(
        fragment.selectionSet,
        isObjectType(on) ? on : parent,
        walk,
        name ? new Set([...seen, name]) : seen,
      );
      depth = Math.max(depth, inner.depth);
      cost += inner.cost;
    }
  }
  return { depth, cost };
}

/** The limit errors of an operation (empty when it is within both). */
export function checkLimits(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: readonly FragmentDefinitionNode[],
  variables: Record<string, unknown>,
): { depth: number; cost: number; errors: GraphQLError[] } {
  const root = operation.operation === "mutation" ? schema.getMutationType() : schema.getQueryType();
  if (!root) return { depth: 0, cost: 0, errors: [] };
  const walk = { fragments: new Map(fragments.map((f) => [f.name.value, f])), variables, schema };
  const { depth, cost } = measure(operation.selectionSet, root, walk, new Set());
  const errors: GraphQLError[] = [];
  if (depth > MAX_DEPTH) {
    errors.push(
      new GraphQLError(`query depth ${depth} exceeds the limit of ${MAX_DEPTH}`, {
        nodes: operation,
        extensions: { code: "DEPTH_LIMIT_EXCEEDED", depth, limit: MAX_DEPTH },
      }),
    );
  }
  if (cost > MAX_COST) {
    errors.push(
      new GraphQLError(`query cost ${cost} exceeds the limit of ${MAX_COST}`, {
        nodes: operation,
        extensions: { code: "COST_LIMIT_EXCEEDED", cost, limit: MAX_COST },
      }),
    );
  }
  return { depth, cost, errors };
}
