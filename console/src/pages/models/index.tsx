/**
 * Models: providers with tier, state and budget left (the config summary plus /metrics gauges), functions and
 * their variants, the effective config's source and issues, and the inference log.
 */
import { api, must, text } from "../../api/client";
import { parseMetrics } from "../../api/prometheus";
import { can } from "../../api/session";
import { ErrorNote, Json, Pill, Section } from "../../ui/parts";
import { Table } from "../../ui/table";
import { useAsync } from "../../ui/use-async";
import type { PageDef, PageRoute } from "../page";
import { Episode, Inferences, OneInference } from "./inferences";

function Config() {
  const config = useAsync(() => must(api.GET("/api/v1/models/config")), []);
  const gauges = useAsync(() => (can("metrics:read") ? text("/metrics").then(parseMetrics) : Promise.resolve([])), []);
  const stateOf = (p: string) =>
    gauges.data?.find((s) => s.name === "botplane_provider_state" && s.labels.provider === p && s.value === 1)?.labels
      .state;
  const budgetOf = (p: string) =>
    gauges.data?.find((s) => s.name === "botplane_provider_budget_remaining_usd" && s.labels.provider === p)?.value;
  const c = config.data;
  return (
    <>
      <Section title={`Providers (config: ${c?.source ?? "…"})`} id="providers">
        <ErrorNote error={config.error ?? c?.error} />
        {c && c.issues.length > 0 && <Json value={c.issues} />}
        <Table
          label="providers"
          rows={c?.providers}
          columns={[
            { head: "provider", cell: (r) => r.name },
            { head: "type", cell: (r) => r.type },
            { head: "tier", cell: (r) => r.tier },
            { head: "state", cell: (r) => <Pill value={r.enabled ? (stateOf(r.name) ?? "ok") : "disabled"} /> },
            { head: "budget left $", cell: (r) => (budgetOf(r.name) === undefined ? "—" : String(budgetOf(r.name))) },
            {
              head: "budget",
              cell: (r) =>
                r.budget ? `${r.budget.daily_usd ?? "–"}/day ${r.budget.monthly_usd ?? "–"}/month` : "none",
            },
            { head: "note", cell: (r) => r.disabled_reason ?? "" },
          ]}
        />
      </Section>
      <Section title="Functions" id="functions">
        <Table
          label="functions"
          rows={c?.functions}
          columns={[
            { head: "function", cell: (r) => r.name },
            { head: "type", cell: (r) => r.type },
            { head: "sampling", cell: (r) => r.sampling },
            { head: "deadline ms", cell: (r) => r.deadline_ms },
            { head: "variants", cell: (r) => <code>{JSON.stringify(r.variants)}</code> },
          ]}
        />
      </Section>
    </>
  );
}

function ModelsPage() {
  return (
    <>
      <h1>Models</h1>
      <Config />
      <Inferences />
    </>
  );
}

export const page: PageDef = {
  path: "models",
  title: "Models",
  order: 30,
  scopes: ["models:read"],
  routes: [
    { path: "", component: ModelsPage },
    { path: "inference/:id", component: OneInference as PageRoute["component"] },
    { path: "episode/:id", component: Episode as PageRoute["component"] },
  ],
};
