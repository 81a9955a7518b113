/**
 * Circuit breakers (botplane_circuit_breaker_state from /metrics, one row per component) and the configured
 * rate limits (admin). Resources: capacity, grants and waiters.
 */
import { api, must, text } from "../../api/client";
import { parseMetrics } from "../../api/prometheus";
import { can } from "../../api/session";
import { Ago, ErrorNote, Pill, Section, Stat } from "../../ui/parts";
import { Table } from "../../ui/table";
import { useAsync } from "../../ui/use-async";
import { Tabs } from "./tabs";

function Breakers() {
  const metrics = useAsync(() => text("/metrics").then(parseMetrics), []);
  const rows = (metrics.data ?? [])
    .filter((s) => s.name === "botplane_circuit_breaker_state" && s.value === 1)
    .map((s) => ({ component: s.labels.component ?? "?", state: s.labels.state ?? "?" }));
  return (
    <Section title="Circuit breakers" id="breakers">
      <ErrorNote error={metrics.error} />
      <Table
        label="circuit breakers"
        rows={rows}
        empty="No breaker has been used yet."
        columns={[
          { head: "component", cell: (r) => <code>{r.component}</code> },
          { head: "state", cell: (r) => <Pill value={r.state} /> },
        ]}
      />
    </Section>
  );
}

function RateLimits() {
  const limits = useAsync(() => must(api.GET("/api/v1/config/rate_limits")), []);
  return (
    <Section title="Rate limits" id="rate-limits">
      <ErrorNote error={limits.error} />
      <Table
        label="rate limits"
        rows={limits.data?.limits}
        empty="No limits configured."
        columns={[
          { head: "key", cell: (r) => <code>{r.key}</code> },
          { head: "strategy", cell: (r) => r.strategy },
          { head: "capacity", cell: (r) => r.capacity },
          { head: "refill/s", cell: (r) => r.refill_rate },
          { head: "burst", cell: (r) => r.burst_capacity },
          { head: "updated", cell: (r) => <Ago at={r.updated_at} /> },
        ]}
      />
    </Section>
  );
}

export function Limits() {
  return (
    <>
      <h1>Events</h1>
      <Tabs />
      <Breakers />
      {can("admin") && <RateLimits />}
    </>
  );
}

export function Resources() {
  const status = useAsync(() => must(api.GET("/api/v1/resources/status")), []);
  return (
    <>
      <h1>Events</h1>
      <Tabs />
      <Section title="Resources" id="resources">
        <ErrorNote error={status.error} />
        <div class="stats">
          {status.data?.resources.map((r) => (
            <Stat
              key={r.type}
              label={`${r.type}: ${r.granted} of ${r.capacity} granted, ${r.waiting} waiting`}
              value={r.available}
            />
          ))}
        </div>
        <Table
          label="resource grants"
          rows={status.data?.grants}
          empty="No live grants."
          columns={[
            { head: "component", cell: (r) => r.component },
            { head: "type", cell: (r) => r.type },
            { head: "amount", cell: (r) => r.amount },
            { head: "priority", cell: (r) => r.priority },
            { head: "status", cell: (r) => <Pill value={r.status} /> },
            { head: "expires", cell: (r) => <code>{r.expires_at}</code> },
          ]}
        />
      </Section>
    </>
  );
}
