/**
 * Masks secrets before anything reaches the audit log (or a response that echoes input): recursively, by key
 * name (password, token, api key, secret, authorization, credentials, … — everything under such a key) and by
 * the shape of a string wherever it appears (`sk-…` keys, JWTs, `Bearer …`, botplane `bpk_…` keys, a URL's
 * password, common cloud tokens). Masking is one-way: the original is never kept.
 */

export const MASK = "***";

const SENSITIVE_KEY =
  /pass(word|wd|phrase)?$|^pass$|^pwd$|secret|token|api[-_]?key|apikey|authori[sz]ation|^auth$|credential|private[-_]?key|access[-_]?key|cookie|signature|session[-_]?key/i;

/** Shapes of secrets inside any string; each keeps only a harmless prefix that says what was there. */
const SECRET_SHAPES: [RegExp, string][] = [
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${MASK}`],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, `${MASK}jwt${MASK}`],
  [/\bsk-[A-Za-z0-9_-]{6,}/g, `sk-${MASK}`],
  [/\bbpk_[A-Za-z0-9_-]{6,}/g, `bpk_${MASK}`],
  [/\b(gh[pousr]_|github_pat_|xox[abprs]-|glpat-)[A-Za-z0-9_-]{6,}/g, `$1${MASK}`],
  [/\bAKIA[0-9A-Z]{16}\b/g, `AKIA${MASK}`],
  // scheme://user:password@host → scheme://user:***@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^/\s@]+@/gi, `$1${MASK}@`],
];

/** Counts of model tokens are not secrets. */
const TOKEN_COUNT_KEY = /^(max|min)[-_]?tokens$|tokens?[-_]?(count|used|limit)$|^(input|output|total)[-_]?tokens$/i;

const MAX_DEPTH = 32;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key) && !TOKEN_COUNT_KEY.test(key);
}

export function maskString(text: string): string {
  let out = text;
  for (const [shape, replacement] of SECRET_SHAPES) out = out.replace(shape, replacement);
  return out;
}

/** Every scalar under a sensitive key becomes MASK; structure (keys, array lengths) is kept. */
function maskAll(value: unknown, depth: number): unknown {
  if (value === null || value === undefined) return value;
  if (depth >= MAX_DEPTH) return MASK;
  if (Array.isArray(value)) return value.map((v) => maskAll(v, depth + 1));
  if (typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskAll(v, depth + 1)]));
  return MASK;
}

function walk(value: unknown, depth: number): unknown {
  if (typeof value === "string") return maskString(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return MASK;
  if (Array.isArray(value)) return value.map((v) => walk(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, isSensitiveKey(k) ? maskAll(v, depth + 1) : walk(v, depth + 1)]),
  );
}

/** A masked deep copy of a JSON-like value. */
export function maskSecrets<T>(value: T): T {
  return walk(value, 0) as T;
}
