/**
 * Fleet: BoTZ instances (status, skill, last heartbeat) and work items (status, claimer, lease, attempts),
 * ecosystem stats, creating work items; one instance with the items it has claimed.
 */
import { useState } from "preact/hooks";
import { api, must } from "../../api/client";
import type { components } from "../../api/openapi";
import { can } from "../../api/session";
import { Ago, ErrorNote, Json, Pill, Section, Stat } from "../../ui/parts";
import { Table } from "../../ui/table";
import { useAsync } from "../../ui/use-async";
import { href, type PageDef, type PageRoute } from "../page";

type Instance = components["schemas"]["Instance"];
type WorkItem = components["schemas"]["WorkItem"];
type Skill = Instance["skill_level"];
type ItemStatus = WorkItem["status"];
const SKILLS: Skill[] = ["basic", "tac_enabled", "mcp_augmented", "agentic"];
const ITEM_STATUSES: ItemStatus[] = ["pending", "claimed", "completed", "failed"];
const PAGE = 25;

function StatsCard() {
  const stats = useAsync(() => must(api.GET("/v1/stats")), []);
  const s = stats.data;
  return (
    <Section title="Stats" id="stats">
      <ErrorNote error={stats.error} />
      {s && (
        <div class="stats">
          <Stat label="instances" value={s.instances.total} />
          {Object.entries(s.instances.by_status).map(([k, v]) => (
            <Stat key={k} label={`instances ${k}`} value={String(v)} />
          ))}
          <Stat label="work items" value={s.work_items.total} />
          {Object.entries(s.work_items.by_status).map(([k, v]) => (
            <Stat key={k} label={`items ${k}`} value={String(v)} />
          ))}
          <Stat label="claims last hour" value={s.claims_last_hour} />
          <Stat
            label="mean claim→complete"
            value={s.mean_claim_to_complete_seconds === null ? "—" : `${s.mean_claim_to_complete_seconds.toFixed(1)} s`}
          />
        </div>
      )}
    </Section>
  );
}

function Instances() {
  const [status, setStatus] = useState("");
  const [skill, setSkill] = useState("");
  const [offset, setOffset] = useState(0);
  const list = useAsync(
    () =>
      must(
        api.GET("/v1/botz/instances", {
          params: {
            query: {
              status: (status || undefined) as Instance["status"] | undefined,
              skill_level: (skill || undefined) as Skill | undefined,
              limit: PAGE,
              offset,
            },
          },
        }),
      ),
    [status, skill, offset],
  );
  return (
    <Section title="Instances" id="instances">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={status} onChange={(e) => (setOffset(0), setStatus(e.currentTarget.value))}>
            <option value="">any</option>
            {["active", "idle", "busy", "draining", "offline", "stale"].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Skill
          <select value={skill} onChange={(e) => (setOffset(0), setSkill(e.currentTarget.value))}>
            <option value="">any</option>
            {SKILLS.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
      </form>
      <ErrorNote error={list.error} />
      <Table
        label="instances"
        rows={list.data?.instances}
        columns={[
          { head: "name", cell: (r) => <a href={href(`fleet/bot/${r.botz_id}`)}>{r.botz_name}</a> },
          { head: "instance", cell: (r) => <code>{r.instance_id}</code> },
          { head: "status", cell: (r) => <Pill value={r.status} /> },
          { head: "skill", cell: (r) => r.skill_level },
          { head: "last heartbeat", cell: (r) => <Ago at={r.last_heartbeat_at} /> },
          {
            head: "working on",
            cell: (r) => (r.current_work_item_id ? <code>{r.current_work_item_id.slice(0, 8)}</code> : "—"),
          },
        ]}
      />
      <nav class="pager" aria-label="instance pages">
        <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          Previous
        </button>
        <button
          type="button"
          disabled={(list.data?.instances.length ?? 0) < PAGE}
          onClick={() => setOffset(offset + PAGE)}
        >
          Next page
        </button>
      </nav>
    </Section>
  );
}

export function WorkItems(props: { claimer?: string }) {
  // The list route filters one status at a time (pending when none is given).
  const [status, setStatus] = useState<ItemStatus>(props.claimer ? "claimed" : "pending");
  const [skill, setSkill] = useState("");
  const [integration, setIntegration] = useState("");
  const [limit, setLimit] = useState(50);
  const [reloadKey, setReloadKey] = useState(0);
  const list = useAsync(
    () =>
      must(
        api.POST("/v1/workitems/list", {
          body: {
            status,
            skill_level: (skill || undefined) as Skill | undefined,
            integration_name: integration || undefined,
            limit,
          },
        }),
      ),
    [status, skill, integration, limit, reloadKey],
  );
  const rows = props.claimer
    ? list.data?.work_items.filter((w) => w.claimed_by === props.claimer)
    : list.data?.work_items;
  return (
    <Section title={props.claimer ? "Its work items" : "Work items"} id="workitems">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.currentTarget.value as ItemStatus)}>
            {ITEM_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Skill
          <select value={skill} onChange={(e) => setSkill(e.currentTarget.value)}>
            <option value="">any</option>
            {SKILLS.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Integration
          <input value={integration} onChange={(e) => setIntegration(e.currentTarget.value)} />
        </label>
      </form>
      {!props.claimer && can("workitems:write") && <CreateItem onCreated={() => setReloadKey((k) => k + 1)} />}
      <ErrorNote error={list.error} />
      <Table
        label="work items"
        rows={rows}
        columns={[
          { head: "title", cell: (r) => r.title },
          { head: "status", cell: (r) => <Pill value={r.status} /> },
          { head: "skill", cell: (r) => r.required_skill_level },
          { head: "priority", cell: (r) => r.priority },
          {
            head: "claimer",
            cell: (r) =>
              r.claimed_by ? <a href={href(`fleet/bot/${r.claimed_by}`)}>{r.claimed_by.slice(0, 8)}</a> : "—",
          },
          { head: "lease until", cell: (r) => r.lease_expires_at ?? "—" },
          { head: "attempts", cell: (r) => r.attempts },
          { head: "created", cell: (r) => <Ago at={r.created_at} /> },
        ]}
      />
      <nav class="pager" aria-label="work item pages">
        <button
          type="button"
          disabled={(list.data?.work_items.length ?? 0) < limit}
          onClick={() => setLimit(limit + 50)}
        >
          Show more
        </button>
      </nav>
    </Section>
  );
}

function CreateItem(props: { onCreated: () => void }) {
  const [title, setTitle] = useState("");
  const [skill, setSkill] = useState<Skill>("basic");
  const [priority, setPriority] = useState(0);
  const [error, setError] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await must(api.POST("/v1/workitems", { body: { title, required_skill_level: skill, priority } }));
      setTitle("");
      setError(null);
      props.onCreated();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <form class="row" onSubmit={(e) => void submit(e)} aria-label="create work item">
      <label>
        New item title
        <input name="title" required value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      </label>
      <label>
        Required skill
        <select value={skill} onChange={(e) => setSkill(e.currentTarget.value as Skill)}>
          {SKILLS.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </label>
      <label>
        Priority
        <input type="number" value={priority} onInput={(e) => setPriority(Number(e.currentTarget.value))} />
      </label>
      <button type="submit">Create item</button>
      <ErrorNote error={error} />
    </form>
  );
}

function FleetPage() {
  return (
    <>
      <h1>Fleet</h1>
      {can("botz:read") && <StatsCard />}
      {can("botz:read") && <Instances />}
      {can("workitems:read") && <WorkItems />}
    </>
  );
}

function BotPage(props: { id?: string }) {
  const id = props.id ?? "";
  const bot = useAsync(() => must(api.GET("/v1/botz/{botz_id}", { params: { path: { botz_id: id } } })), [id]);
  return (
    <>
      <p>
        <a href={href("fleet")}>← Fleet</a>
      </p>
      <h1>{bot.data?.botz_name ?? id}</h1>
      <ErrorNote error={bot.error} />
      {bot.data && (
        <Section title="Instance">
          <Json value={bot.data} />
        </Section>
      )}
      {can("workitems:read") && <WorkItems claimer={id} />}
    </>
  );
}

export const page: PageDef = {
  path: "fleet",
  title: "Fleet",
  order: 10,
  scopes: ["botz:read", "workitems:read"],
  routes: [
    { path: "", component: FleetPage },
    { path: "bot/:id", component: BotPage as PageRoute["component"] },
  ],
};
