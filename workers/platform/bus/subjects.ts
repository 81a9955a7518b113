/**
 * Subject patterns as NATS writes them: dotted tokens, `*` for exactly one token, a final `>` for one or more.
 * A platform mechanism: the bus domain, the reserved-subject table, partition routing and Durable Objects all
 * match subjects.
 */

/** NATS wildcard matching: `*` matches exactly one token, a final `>` one or more tokens. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === ">") return i === p.length - 1 && s.length > i;
    if (i >= s.length) return false;
    if (token !== "*" && token !== s[i]) return false;
  }
  return p.length === s.length;
}

/** Valid pattern: dotted tokens, `*` anywhere as a whole token, `>` only as the last token. */
export const SUBJECT_PATTERN_REGEX = /^(?:[A-Za-z0-9_-]+|\*)(?:\.(?:[A-Za-z0-9_-]+|\*))*(?:\.>)?$|^>$/;

/** The literal prefix of a pattern before its first wildcard (lets storage narrow a scan by range). */
export function literalPrefix(pattern: string): string {
  const tokens: string[] = [];
  for (const t of pattern.split(".")) {
    if (t === "*" || t === ">") return tokens.length ? `${tokens.join(".")}.` : "";
    tokens.push(t);
  }
  return tokens.join(".");
}
