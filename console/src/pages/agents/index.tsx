/**
 * ChainBot agents: the registry's agents (type and status filters, cursor paging), spawning one with a form
 * for its type's config (`chainbot:agent:spawn`), and terminating one (`chainbot:agent:terminate`).
 */
import { useState } from "preact/hooks";
import { api, must } from "../../api/client";
import type { components } from "../../api/openapi";
import { can } from "../../api/session";
import { Ago, ErrorNote, Pager, Pill, Section } from "../../ui/parts";
import { Table } from "../../ui/table";
import { useAsync } from "../../ui/use-async";
import type { PageDef } from "../page";
import { AGENT_TYPES, type AgentType, SpawnForm } from "./spawn-form";

type AgentStatus = components["schemas"]["ChainbotAgent"]["status"];
const STATUSES: readonly AgentStatus[] = ["idle", "working", "terminated"];

function AgentsPage() {
  const [type, setType] = useState<AgentType | "">("");
  const [status, setStatus] = useState<AgentStatus | "">("");
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const list = useAsync(
    () =>
      must(
        api.GET("/api/chainbot/agents", {
          params: {
            query: {
              agent_type: type === "" ? undefined : type,
              status: status === "" ? undefined : status,
              cursor: cursor ?? undefined,
              limit: 50,
            },
          },
        }),
      ),
    [type, status, cursor],
  );
  async function terminate(id: string) {
    try {
      await must(api.DELETE("/api/chainbot/agents/{id}", { params: { path: { id } } }));
      setError(null);
      list.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  const mayTerminate = can("chainbot:agent:terminate");
  return (
    <>
      <h1>Agents</h1>
      <Section title="Agents" id="agents">
        <form class="filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            Type
            <select value={type} onChange={(e) => (setCursor(null), setType(e.currentTarget.value as AgentType | ""))}>
              <option value="">any</option>
              {AGENT_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label>
            Status
            <select
              value={status}
              onChange={(e) => (setCursor(null), setStatus(e.currentTarget.value as AgentStatus | ""))}
            >
              <option value="">any</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        </form>
        <ErrorNote error={list.error ?? error} />
        <Table
          label="agents"
          rows={list.data?.agents}
          empty="No agents spawned yet."
          columns={[
            { head: "name", cell: (a) => a.name },
            { head: "type", cell: (a) => a.agent_type },
            { head: "status", cell: (a) => <Pill value={a.status} /> },
            { head: "id", cell: (a) => <code>{a.id}</code> },
            { head: "by", cell: (a) => a.created_by },
            { head: "spawned", cell: (a) => <Ago at={a.created_at} /> },
            ...(mayTerminate
              ? [
                  {
                    head: "",
                    cell: (a: components["schemas"]["ChainbotAgent"]) =>
                      a.status === "terminated" ? null : (
                        <button type="button" class="danger" onClick={() => void terminate(a.id)}>
                          Terminate {a.name}
                        </button>
                      ),
                  },
                ]
              : []),
          ]}
        />
        <Pager cursor={cursor} next={list.data?.next_cursor} onCursor={setCursor} />
      </Section>
      {can("chainbot:agent:spawn") && (
        <Section title="Spawn an agent" id="spawn">
          <SpawnForm onSpawned={() => list.reload()} />
        </Section>
      )}
    </>
  );
}

export const page: PageDef = {
  path: "agents",
  title: "Agents",
  order: 42,
  scopes: ["chainbot:read"],
  routes: [{ path: "", component: AgentsPage }],
};
