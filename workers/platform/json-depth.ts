/**
 * Bounding how deeply JSON nests, at the boundary. JSON.parse copes with any depth, but what comes after does
 * not: JSON.stringify, Durable Object RPC (structured clone) and recursive walkers overflow the stack a few
 * thousand levels down, which would be a 500. Bodies are checked here with an explicit stack (never by
 * recursion), so a value that reaches storage or RPC is at most MAX_JSON_DEPTH levels deep.
 */
import { z } from "@hono/zod-openapi";

/** Nesting levels of objects/arrays a stored JSON value may have (`{}` is 1, `{"a": []}` is 2). */
export const MAX_JSON_DEPTH = 64;

/**
 * The path to the first object or array nested deeper than `maxDepth` levels (the value itself, when it is a
 * container, is level 1), or null when the value stays within the bound. Iterative, and it stops descending
 * at the bound, so its own cost is linear in the size of the value and its stack is the heap's.
 */
export function pathTooDeep(value: unknown, maxDepth = MAX_JSON_DEPTH): PropertyKey[] | null {
  const stack: { value: unknown; depth: number; path: PropertyKey[] }[] = [{ value, depth: 1, path: [] }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const v = top.value;
    if (v === null || typeof v !== "object") continue;
    if (top.depth > maxDepth) return top.path;
    const entries: [PropertyKey, unknown][] = Array.isArray(v)
      ? v.map((item, i): [PropertyKey, unknown] => [i, item])
      : Object.entries(v);
    // Pushed in reverse so the first (document-order) offender is the one reported.
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      if (entry && entry[1] !== null && typeof entry[1] === "object")
        stack.push({ value: entry[1], depth: top.depth + 1, path: [...top.path, entry[0]] });
    }
  }
  return null;
}

export function depthMessage(maxDepth = MAX_JSON_DEPTH): string {
  return `nests deeper than ${maxDepth} levels`;
}

/** Any JSON value at most MAX_JSON_DEPTH levels deep; deeper is an issue at this field's path. */
export function boundedJson(): z.ZodType<unknown> {
  return z.unknown().superRefine((value, ctx) => {
    if (pathTooDeep(value) !== null) ctx.addIssue({ code: "custom", message: depthMessage() });
  });
}
