/**
 * The inference log: filters (function, variant, status, episode), cursor paging, latency and cost plots of
 * the page shown, cost per provider; one inference with its attempts drawn as a fallback timeline and its
 * feedback; one episode. /openapi.json types these rows only as objects, so fields are read defensively.
 */
import { useState } from "preact/hooks";
import { api, must } from "../../api/client";
import { ErrorNote, field, Json, Pager, Pill, Section, str } from "../../ui/parts";
import { Plot } from "../../ui/plot";
import { Table } from "../../ui/table";
import { useAsync } from "../../ui/use-async";
import { href } from "../page";

type Row = Record<string, unknown>;
const num = (v: unknown) => (typeof v === "number" ? v : null);
const list = (v: unknown): Row[] => (Array.isArray(v) ? (v as Row[]) : []);

function InferenceTable({ rows }: { rows: Row[] }) {
  return (
    <Table
      label="inferences"
      rows={rows}
      empty="No inferences logged."
      columns={[
        { head: "time", cell: (r) => <code>{str(r.timestamp)}</code> },
        { head: "function", cell: (r) => str(r.function_name) },
        { head: "variant", cell: (r) => str(r.variant_name) },
        { head: "provider", cell: (r) => `${str(r.provider)} (${str(r.tier)})` },
        { head: "status", cell: (r) => <Pill value={str(r.status)} /> },
        { head: "latency ms", cell: (r) => str(r.latency_ms) },
        { head: "cost $", cell: (r) => str(r.cost_usd) },
        { head: "attempts", cell: (r) => list(r.attempts).length },
        {
          head: "inference",
          cell: (r) => <a href={href(`models/inference/${str(r.inference_id)}`)}>{str(r.inference_id).slice(0, 8)}</a>,
        },
        {
          head: "episode",
          cell: (r) => <a href={href(`models/episode/${str(r.episode_id)}`)}>{str(r.episode_id).slice(0, 8)}</a>,
        },
      ]}
    />
  );
}

export function Inferences() {
  const [fn, setFn] = useState("");
  const [status, setStatus] = useState("");
  const [cursor, setCursor] = useState<string | null>(null);
  const page = useAsync(
    () =>
      must(
        api.GET("/inferences", {
          params: {
            query: {
              function_name: fn || undefined,
              status: (status || undefined) as "ok" | undefined,
              cursor: cursor ?? undefined,
              limit: 100,
            },
          },
        }),
      ),
    [fn, status, cursor],
  );
  const rows = list(field(page.data, "inferences")).slice();
  const byTime = rows.slice().sort((a, b) => Date.parse(str(a.timestamp)) - Date.parse(str(b.timestamp)));
  const costs = sumBy(rows, (r) => str(r.provider));
  const workspaceCosts = sumBy(rows, (r) => str(r.workspace) || "(none)");
  const x = byTime.map((r) => Date.parse(str(r.timestamp)) / 1000);
  return (
    <Section title="Inferences" id="inferences">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Function
          <input value={fn} onChange={(e) => (setCursor(null), setFn(e.currentTarget.value))} />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => (setCursor(null), setStatus(e.currentTarget.value))}>
            <option value="">any</option>
            <option value="ok">ok</option>
            <option value="failed">failed</option>
          </select>
        </label>
      </form>
      <ErrorNote error={page.error} />
      {byTime.length > 1 && (
        <div class="grid">
          <Plot
            title="inference latency (ms)"
            unit="ms"
            x={x}
            series={[{ label: "latency", values: byTime.map((r) => num(r.latency_ms)), color: "#2459c7" }]}
          />
          <Plot
            title="fallback depth (attempts before the answer)"
            unit="attempts"
            x={x}
            series={[
              { label: "depth", values: byTime.map((r) => Math.max(list(r.attempts).length - 1, 0)), color: "#c77d24" },
            ]}
          />
          <Plot
            title="cost per inference (USD)"
            unit="$"
            x={x}
            series={[{ label: "cost", values: byTime.map((r) => num(r.cost_usd)), color: "#1b7f3b" }]}
          />
        </div>
      )}
      <InferenceTable rows={rows} />
      <Pager cursor={cursor} next={str(field(page.data, "next_cursor")) || null} onCursor={setCursor} />
      <h3>Cost per provider (this page)</h3>
      <Table
        label="cost per provider"
        rows={[...costs.entries()]}
        columns={[
          { head: "provider", cell: ([p]) => p },
          { head: "USD", cell: ([, c]) => c.toFixed(6) },
        ]}
      />
      <h3>Cost per workspace (this page)</h3>
      <Table
        label="cost per workspace"
        rows={[...workspaceCosts.entries()]}
        columns={[
          { head: "workspace", cell: ([w]) => w },
          { head: "USD", cell: ([, c]) => c.toFixed(6) },
        ]}
      />
    </Section>
  );
}

/** The rows' cost summed per key (provider, workspace). */
function sumBy(rows: Row[], key: (r: Row) => string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const r of rows) sums.set(key(r), (sums.get(key(r)) ?? 0) + (num(r.cost_usd) ?? 0));
  return sums;
}

/** The fallback chain: one bar per attempt, as wide as its latency, failed and skipped ones marked. */
function Attempts({ attempts }: { attempts: Row[] }) {
  const longest = Math.max(1, ...attempts.map((a) => num(a.latency_ms) ?? 0));
  return (
    <div class="timeline" role="list" aria-label="attempts">
      {attempts.map((a, i) => (
        <div role="listitem" key={i}>
          <div
            class={`bar ${str(a.status) === "ok" ? "" : str(a.status) === "skipped" ? "skipped" : "failed"}`}
            style={{ width: `${Math.max(8, ((num(a.latency_ms) ?? 0) / longest) * 100)}%` }}
          >
            {i + 1}. {str(a.variant)} → {str(a.provider)} ({str(a.tier)}): {str(a.status)} {str(a.latency_ms)} ms
          </div>
          {str(a.reason) && <span class="muted">{str(a.reason)}</span>}
        </div>
      ))}
    </div>
  );
}

export function OneInference(props: { id?: string }) {
  const id = props.id ?? "";
  const inf = useAsync(
    () => must(api.GET("/inferences/{inference_id}", { params: { path: { inference_id: id } } })),
    [id],
  );
  const r = inf.data ?? {};
  return (
    <>
      <p>
        <a href={href("models")}>← Models</a>
      </p>
      <h1>Inference {id}</h1>
      <ErrorNote error={inf.error} />
      {inf.data && (
        <>
          <Section title="Attempts">
            <p>
              Episode <a href={href(`models/episode/${str(r.episode_id)}`)}>{str(r.episode_id)}</a>
            </p>
            <Attempts attempts={list(r.attempts)} />
          </Section>
          <Section title="Feedback">
            <Table
              label="feedback"
              rows={list(r.feedback)}
              empty="No feedback."
              columns={[
                { head: "metric", cell: (f) => str(f.metric_name) },
                { head: "value", cell: (f) => str(f.value) },
                { head: "at", cell: (f) => <code>{str(f.timestamp)}</code> },
              ]}
            />
          </Section>
          <Section title="Record">
            <Json value={inf.data} />
          </Section>
        </>
      )}
    </>
  );
}

export function Episode(props: { id?: string }) {
  const id = props.id ?? "";
  const ep = useAsync(() => must(api.GET("/episodes/{episode_id}", { params: { path: { episode_id: id } } })), [id]);
  return (
    <>
      <p>
        <a href={href("models")}>← Models</a>
      </p>
      <h1>Episode {id}</h1>
      <ErrorNote error={ep.error} />
      <Section title="Inferences">
        <InferenceTable rows={list(field(ep.data, "inferences"))} />
      </Section>
      <Section title="Feedback">
        <Json value={field(ep.data, "feedback") ?? []} />
      </Section>
    </>
  );
}
