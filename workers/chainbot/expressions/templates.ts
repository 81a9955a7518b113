/**
 * Template strings: `"Hello ${input.name}"` interpolates; a string that is exactly one `${path}` keeps the
 * value's type (`"${step1.items}"` is the list, not its JSON text). Templates fill step fields such as an
 * agent task's prompt, an api_call's url, headers and body, and a sub-workflow's input mapping.
 */
import type { Json } from "./cel-values";
import { resolvePath, scanReferences } from "./references";

export type Rendered = { ok: true; value: Json } | { ok: false; code: "template_error"; message: string };

function asText(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** Renders one template string against the context. */
export function renderTemplate(template: string, context: Readonly<Record<string, unknown>>): Rendered {
  const scanned = scanReferences(template);
  if (!scanned.ok) return { ok: false, code: "template_error", message: scanned.message };
  const [only] = scanned.refs;
  if (scanned.refs.length === 1 && only && only.start === 0 && only.end === template.length)
    return { ok: true, value: (resolvePath(context, only.root, only.path) ?? null) as Json };
  let out = "";
  let at = 0;
  for (const ref of scanned.refs) {
    out += template.slice(at, ref.start) + asText(resolvePath(context, ref.root, ref.path));
    at = ref.end;
  }
  return { ok: true, value: out + template.slice(at) };
}

/** Renders every string inside a JSON value (object keys stay as written). */
export function renderValue(value: Json, context: Readonly<Record<string, unknown>>): Rendered {
  if (typeof value === "string") return renderTemplate(value, context);
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const v of value) {
      const r = renderValue(v, context);
      if (!r.ok) return r;
      out.push(r.value);
    }
    return { ok: true, value: out };
  }
  if (value !== null && typeof value === "object") {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) {
      const r = renderValue(v, context);
      if (!r.ok) return r;
      out[k] = r.value;
    }
    return { ok: true, value: out };
  }
  return { ok: true, value };
}
