/**
 * Small shared pieces: an error note in the API's own words, a JSON body, a stat tile, a section with a
 * heading, a relative time, a status pill, and a cursor pager ("next page" and back to the first).
 */
import type { ComponentChildren } from "preact";

export function ErrorNote({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

export function Json({ value }: { value: unknown }) {
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>;
}

export function Stat({ label, value }: { label: string; value: ComponentChildren }) {
  return (
    <div class="stat">
      <span class="stat-value">{value}</span>
      <span class="stat-label">{label}</span>
    </div>
  );
}

export function Section(props: {
  title: string;
  id?: string;
  actions?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <section class="card" aria-labelledby={props.id ? `${props.id}-h` : undefined}>
      <header class="card-head">
        <h2 id={props.id ? `${props.id}-h` : undefined}>{props.title}</h2>
        {props.actions}
      </header>
      {props.children}
    </section>
  );
}

export function Ago({ at }: { at: string | number | null | undefined }) {
  if (at === null || at === undefined || at === "") return <span class="muted">—</span>;
  const t = typeof at === "number" ? at : Date.parse(at);
  const s = Math.round((Date.now() - t) / 1000);
  const text = s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
  return (
    <time dateTime={new Date(t).toISOString()} title={new Date(t).toISOString()}>
      {text}
    </time>
  );
}

export function Pill({ value }: { value: string | boolean | null | undefined }) {
  const v = value === true ? "online" : value === false ? "offline" : (value ?? "—");
  return <span class={`pill pill-${v.replace(/[^a-z_]/gi, "")}`}>{v}</span>;
}

/** Cursor paging: the page's own cursor history lets "first" go back; "next" follows the API's next_cursor. */
export function Pager(props: {
  next: string | null | undefined;
  cursor: string | null;
  onCursor: (c: string | null) => void;
}) {
  return (
    <nav class="pager" aria-label="pages">
      <button type="button" disabled={props.cursor === null} onClick={() => props.onCursor(null)}>
        First page
      </button>
      <button type="button" disabled={!props.next} onClick={() => props.onCursor(props.next ?? null)}>
        Next page
      </button>
    </nav>
  );
}

/** A read-only field of an untyped record (the inference log's rows are typed as objects in /openapi.json). */
export function field(row: unknown, key: string): unknown {
  return row !== null && typeof row === "object" ? (row as Record<string, unknown>)[key] : undefined;
}

export function str(v: unknown): string {
  if (v === null || v === undefined) return "";
  return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v);
}
