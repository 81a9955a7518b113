/**
 * Subject matching, NATS's rules: dotted tokens, `*` matches exactly one token, a final `>` one or more.
 * A platform mechanism: the bus domain, the reserved-subject table and Durable Objects all match subjects.
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
