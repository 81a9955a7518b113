/**
 * The signed-in credential: a JWT or API key kept in sessionStorage only (gone with the tab, never in a URL or
 * a log), and what GET /api/v1/whoami says it is granted, so pages can hide what the API would refuse anyway.
 */
import type { components } from "./openapi";

export type Whoami = components["schemas"]["Whoami"];

const KEY = "botplane.credential";
let current: Whoami | null = null;
const listeners = new Set<() => void>();

export function credential(): string | null {
  return sessionStorage.getItem(KEY);
}

export function principal(): Whoami | null {
  return current;
}

/** Does the signed-in principal pass this scope (superscopes already expanded by the server)? */
export function can(scope: string): boolean {
  return current?.granted.includes(scope) ?? false;
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed(): void {
  for (const l of listeners) l();
}

/** Checks the credential with whoami; only a credential the API accepts is kept. Resolves to an error text. */
export async function signIn(secret: string): Promise<string | null> {
  const res = await fetch("/api/v1/whoami", { headers: { authorization: `Bearer ${secret.trim()}` } });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    return body?.error?.message ?? `sign-in failed (${res.status})`;
  }
  sessionStorage.setItem(KEY, secret.trim());
  current = (await res.json()) as Whoami;
  changed();
  return null;
}

/** On load: a credential left in this tab's session is checked again (it may have expired or been revoked). */
export async function resume(): Promise<void> {
  const secret = credential();
  if (secret && (await signIn(secret)) !== null) signOut();
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  current = null;
  changed();
}
