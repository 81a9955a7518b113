/**
 * Overview: health checks, and request rate and latency percentiles from /metrics scrapes this page takes every
 * few seconds while it is open (Prometheus counters and histogram buckets, differenced between scrapes).
 */
import { useEffect, useState } from "preact/hooks";
import { api, text } from "../../api/client";
import type { components } from "../../api/openapi";
import { bucketDeltas, parseMetrics, quantile, type Sample, sum } from "../../api/prometheus";
import { can } from "../../api/session";
import { ErrorNote, Pill, Section } from "../../ui/parts";
import { Plot } from "../../ui/plot";
import { Table } from "../../ui/table";
import { useAsync, useInterval } from "../../ui/use-async";
import type { PageDef } from "../page";

type Health = components["schemas"]["Health"];
const SCRAPE_MS = 3_000;
const KEEP = 120;

interface Point {
  t: number;
  rate: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  events: number;
}

function Scrapes() {
  const [last, setLast] = useState<{ at: number; samples: Sample[] } | null>(null);
  const [points, setPoints] = useState<Point[]>([]);
  const [error, setError] = useState<string | null>(null);
  async function scrape() {
    try {
      const samples = parseMetrics(await text("/metrics"));
      const at = Date.now();
      if (last) {
        const dt = (at - last.at) / 1000;
        const requests =
          sum(samples, "jimbot_request_duration_seconds_count") -
          sum(last.samples, "jimbot_request_duration_seconds_count");
        const buckets = bucketDeltas(last.samples, samples, "jimbot_request_duration_seconds");
        const ms = (q: number) => {
          const v = quantile(q, buckets);
          return v === null ? null : v * 1000;
        };
        const events =
          sum(samples, "jimbot_event_bus_messages_total") - sum(last.samples, "jimbot_event_bus_messages_total");
        const point = {
          t: at / 1000,
          rate: requests / dt,
          p50: ms(0.5),
          p95: ms(0.95),
          p99: ms(0.99),
          events: events / dt,
        };
        setPoints((p) => [...p, point].slice(-KEEP));
      }
      setLast({ at, samples });
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }
  useInterval(() => void scrape(), SCRAPE_MS);
  useEffect(() => void scrape(), []);
  const x = points.map((p) => p.t);
  return (
    <Section title="Requests (from /metrics scrapes every 3 s)" id="requests">
      <ErrorNote error={error} />
      {points.length < 2 && <p class="muted">Collecting scrapes…</p>}
      <div class="grid">
        <Plot
          title="request rate (req/s)"
          unit="req/s"
          x={x}
          series={[{ label: "req/s", values: points.map((p) => p.rate), color: "#2459c7" }]}
        />
        <Plot
          title="request latency percentiles (ms)"
          unit="ms"
          x={x}
          series={[
            { label: "p50", values: points.map((p) => p.p50), color: "#1b7f3b" },
            { label: "p95", values: points.map((p) => p.p95), color: "#c77d24" },
            { label: "p99", values: points.map((p) => p.p99), color: "#b3261e" },
          ]}
        />
        <Plot
          title="event bus throughput (msg/s)"
          unit="msg/s"
          x={x}
          series={[{ label: "msg/s", values: points.map((p) => p.events), color: "#7a3fc7" }]}
        />
      </div>
    </Section>
  );
}

function Health() {
  // 503 "degraded" carries the same body as 200, so both are read.
  const health = useAsync(async () => {
    const { data, error } = await api.GET("/health");
    return data ?? error ?? null;
  }, []);
  const checks = Object.entries((health.data?.checks ?? {}) as Record<string, { status?: string; error?: string }>);
  return (
    <Section title={`Health: ${health.data?.status ?? "…"}`} id="health">
      <Table
        label="health checks"
        rows={checks}
        columns={[
          { head: "check", cell: ([k]) => k },
          { head: "status", cell: ([, v]) => <Pill value={v.status ?? "?"} /> },
          { head: "detail", cell: ([, v]) => v.error ?? "" },
        ]}
      />
    </Section>
  );
}

function OverviewPage() {
  return (
    <>
      <h1>Overview</h1>
      <Health />
      {can("metrics:read") ? <Scrapes /> : <p class="muted">Plots need metrics:read.</p>}
    </>
  );
}

export const page: PageDef = {
  path: "",
  title: "Overview",
  order: 0,
  scopes: [],
  routes: [{ path: "", component: OverviewPage }],
};
