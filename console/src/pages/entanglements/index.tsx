/**
 * ChainBot entanglements (teams of agents): the list with cursor paging and creating one from live agents
 * (`chainbot:entanglement:manage`); one entanglement's page is entanglement.tsx.
 */
import { useState } from "preact/hooks";
import { api, must } from "../../api/client";
import { can } from "../../api/session";
import { Ago, ErrorNote, Pager, Section } from "../../ui/parts";
import { Table } from "../../ui/table";
import { useAsync } from "../../ui/use-async";
import { href, type PageDef, type PageRoute } from "../page";
import { EntanglementPage } from "./entanglement";

function CreateForm(props: { onCreated: () => void }) {
  const agents = useAsync(() => must(api.GET("/api/chainbot/agents", { params: { query: { limit: 200 } } })), []);
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [picked, setPicked] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await must(
        api.POST("/api/chainbot/entanglements", {
          body: { name, description: description || undefined, agent_ids: picked },
        }),
      );
      setError(null);
      setName("");
      setDescription("");
      setPicked([]);
      props.onCreated();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  const live = (agents.data?.agents ?? []).filter((a) => a.status !== "terminated");
  return (
    <form onSubmit={(e) => void submit(e)} aria-label="create entanglement">
      <div class="row">
        <label>
          Team name
          <input value={name} required onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Description
          <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </label>
      </div>
      <fieldset class="row">
        <legend>Members</legend>
        {live.length === 0 && <span class="muted">No live agents: spawn some on the Agents page.</span>}
        {live.map((a) => (
          <label key={a.id} class="check">
            <input
              type="checkbox"
              checked={picked.includes(a.id)}
              onChange={(e) =>
                setPicked(e.currentTarget.checked ? [...picked, a.id] : picked.filter((p) => p !== a.id))
              }
            />
            {a.name} ({a.agent_type})
          </label>
        ))}
      </fieldset>
      <ErrorNote error={error ?? agents.error} />
      <button type="submit">Create team</button>
    </form>
  );
}

function EntanglementsPage() {
  const [cursor, setCursor] = useState<string | null>(null);
  const list = useAsync(
    () =>
      must(api.GET("/api/chainbot/entanglements", { params: { query: { cursor: cursor ?? undefined, limit: 50 } } })),
    [cursor],
  );
  return (
    <>
      <h1>Entanglements</h1>
      <Section title="Teams" id="entanglements">
        <ErrorNote error={list.error} />
        <Table
          label="entanglements"
          rows={list.data?.entanglements}
          empty="No entanglements yet."
          columns={[
            { head: "name", cell: (t) => <a href={href(`entanglements/${t.id}`)}>{t.name}</a> },
            { head: "description", cell: (t) => t.description ?? "" },
            { head: "by", cell: (t) => t.created_by },
            { head: "created", cell: (t) => <Ago at={t.created_at} /> },
          ]}
        />
        <Pager cursor={cursor} next={list.data?.next_cursor} onCursor={setCursor} />
      </Section>
      {can("chainbot:entanglement:manage") && (
        <Section title="New team" id="new-entanglement">
          <CreateForm onCreated={() => list.reload()} />
        </Section>
      )}
    </>
  );
}

export const page: PageDef = {
  path: "entanglements",
  title: "Entanglements",
  order: 44,
  scopes: ["chainbot:read"],
  routes: [
    { path: "", component: EntanglementsPage },
    { path: ":id", component: EntanglementPage as PageRoute["component"] },
  ],
};
