/**
 * `${path}` references, the seed's way for a workflow to name data (`${input.param1}`,
 * `${step1.quality_score}`): finding them in a string, parsing each path, and resolving a path against an
 * execution's context. Both expressions and templates are built on this, so both read paths the same way.
 */

/** One segment of a path: an object key or a list index. */
export type PathSegment = string | number;

export interface Reference {
  /** The text between `${` and `}`, as written. */
  raw: string;
  /** The first segment: `input`, a step id, `item`, `index`, `secret`, … */
  root: string;
  /** The segments after the root. */
  path: PathSegment[];
  /** Where `${` starts and one past `}` ends, in the string it was found in. */
  start: number;
  end: number;
}

export type ScanResult = { ok: true; refs: Reference[] } | { ok: false; message: string };

// Step ids may hold hyphens (`step-2`), so segments do too; `[0]` indexes a list.
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*/;
const INDEX = /^\[(\d{1,9})\]/;

/** Parses the inside of `${…}`: `root(.key|[n])*`. */
export function parsePath(raw: string): { root: string; path: PathSegment[] } | null {
  const first = NAME.exec(raw);
  if (!first) return null;
  const path: PathSegment[] = [];
  let rest = raw.slice(first[0].length);
  while (rest.length > 0) {
    if (rest.startsWith(".")) {
      const key = NAME.exec(rest.slice(1)) ?? /^[0-9]+/.exec(rest.slice(1));
      if (!key) return null;
      path.push(key[0]);
      rest = rest.slice(1 + key[0].length);
      continue;
    }
    const index = INDEX.exec(rest);
    if (!index?.[1]) return null;
    path.push(Number(index[1]));
    rest = rest.slice(index[0].length);
  }
  return { root: first[0], path };
}

/**
 * Finds every `${path}` in a string. With `celLiterals`, the string is a CEL expression whose quoted
 * literals are skipped over: a reference inside a CEL string literal would silently stay text, so it is an
 * error that says to use `+` instead.
 */
export function scanReferences(text: string, celLiterals = false): ScanResult {
  const refs: Reference[] = [];
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (celLiterals && quote !== null) {
      if (ch === "\\") i++;
      else if (ch === quote) quote = null;
      else if (ch === "$" && text[i + 1] === "{")
        return { ok: false, message: `a \${…} reference inside a quoted string is not interpolated; use + to join` };
      continue;
    }
    if (celLiterals && (ch === '"' || ch === "'")) {
      quote = ch;
      continue;
    }
    if (ch !== "$" || text[i + 1] !== "{") continue;
    const close = text.indexOf("}", i + 2);
    if (close < 0) return { ok: false, message: `unterminated \${ at offset ${i}` };
    const raw = text.slice(i + 2, close);
    const parsed = parsePath(raw);
    if (!parsed)
      return { ok: false, message: `'\${${raw}}' is not a reference (expected \${name.field} or \${name[0]})` };
    refs.push({ raw, ...parsed, start: i, end: close + 1 });
    i = close;
  }
  return { ok: true, refs };
}

/**
 * The value a path names in the context. A step that did not run (the other branch of a condition) or a
 * field its output lacks resolves to null, so a later step can test for it instead of failing outright.
 */
export function resolvePath(context: Readonly<Record<string, unknown>>, root: string, path: PathSegment[]): unknown {
  let value: unknown = Object.hasOwn(context, root) ? context[root] : null;
  for (const seg of path) {
    if (typeof seg === "number" && Array.isArray(value)) value = seg < value.length ? (value[seg] as unknown) : null;
    else if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.hasOwn(value, seg))
      value = (value as Record<string, unknown>)[String(seg)];
    else return null;
  }
  return value ?? null;
}
