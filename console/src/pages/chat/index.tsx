/**
 * Chat: sessions (from transcripts) and a session's transcript, and for one workspace its costs, budget and
 * scheduled jobs; the phone numbers (SMS/voice) and Discord users bound to founders. Sovereign (mode 3)
 * transcript rows arrive from the API as counts only and are shown so.
 */
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { api, must } from "../../api/client";
import { Ago, ErrorNote, Pager, Pill, Section, Stat } from "../../ui/parts";
import { Table } from "../../ui/table";
import { useAsync } from "../../ui/use-async";
import { href, type PageDef, type PageRoute } from "../page";

const usd = (n: number | null | undefined) => (n === null || n === undefined ? "—" : `$${n.toFixed(4)}`);

function Sessions(props: { workspace: string; founder: string }) {
  const [cursor, setCursor] = useState<string | null>(null);
  const sessions = useAsync(
    () =>
      must(
        api.GET("/api/v1/chat/sessions", {
          params: {
            query: {
              workspace_id: props.workspace || undefined,
              founder_id: props.founder || undefined,
              cursor: cursor ?? undefined,
              limit: 50,
            },
          },
        }),
      ),
    [props.workspace, props.founder, cursor],
  );
  return (
    <Section title="Sessions" id="sessions">
      <ErrorNote error={sessions.error} />
      <Table
        label="chat sessions"
        rows={sessions.data?.sessions}
        columns={[
          {
            head: "session",
            cell: (r) => (
              <a href={href(`chat/session/${r.session_id}`)}>
                <code>{r.session_id.slice(0, 8)}</code>
              </a>
            ),
          },
          { head: "founder", cell: (r) => r.founder_id ?? "—" },
          { head: "workspace", cell: (r) => r.workspace_id },
          { head: "surface", cell: (r) => r.surface ?? "—" },
          { head: "trust", cell: (r) => (r.trust_mode === null ? "—" : String(r.trust_mode)) },
          { head: "turns", cell: (r) => r.turns },
          { head: "last activity", cell: (r) => <Ago at={r.last_at} /> },
        ]}
      />
      <Pager cursor={cursor} next={sessions.data?.next_cursor} onCursor={setCursor} />
    </Section>
  );
}

function Workspace(props: { id: string }) {
  const costs = useAsync(
    () => must(api.GET("/api/v1/chat/workspaces/{id}/costs", { params: { path: { id: props.id } } })),
    [props.id],
  );
  const jobs = useAsync(
    () => must(api.GET("/api/v1/chat/workspaces/{id}/scheduled-jobs", { params: { path: { id: props.id } } })),
    [props.id],
  );
  const c = costs.data;
  return (
    <>
      <Section title={`Costs and budget of ${props.id}`} id="costs">
        <ErrorNote error={costs.error} />
        {c && (
          <div class="stats" role="group" aria-label="workspace costs">
            <Stat label={`spent in ${c.current.month}`} value={usd(c.current.cost_usd)} />
            <Stat label="turns" value={c.current.turns} />
            <Stat label="tokens in / out" value={`${c.current.input_tokens} / ${c.current.output_tokens}`} />
            <Stat
              label={`budget (${c.budget.source})`}
              value={c.budget.monthly_usd ? usd(c.budget.monthly_usd) : "none"}
            />
            <Stat label="remaining" value={usd(c.budget.remaining_usd)} />
            <Stat
              label="state"
              value={<Pill value={c.budget.exhausted ? "exhausted: free tier only" : "within budget"} />}
            />
          </div>
        )}
      </Section>
      <Section title="Scheduled jobs" id="jobs">
        <ErrorNote error={jobs.error} />
        <Table
          label="scheduled jobs"
          rows={jobs.data?.jobs}
          columns={[
            { head: "founder", cell: (r) => r.founder_id },
            { head: "type", cell: (r) => r.type },
            { head: "schedule", cell: (r) => <code>{r.schedule}</code> },
            { head: "zone", cell: (r) => r.time_zone },
            { head: "state", cell: (r) => <Pill value={r.enabled ? "enabled" : "disabled"} /> },
            { head: "last run", cell: (r) => <Ago at={r.last_run} /> },
            { head: "next run", cell: (r) => r.next_run ?? "—" },
          ]}
        />
      </Section>
    </>
  );
}

function Bindings() {
  const phones = useAsync(() => must(api.GET("/api/v1/chat/phone-bindings")), []);
  const discord = useAsync(
    () => must(api.GET("/api/v1/chat/discord-bindings", { params: { query: { limit: 200 } } })),
    [],
  );
  return (
    <>
      <Section title="Phone bindings" id="phones">
        <ErrorNote error={phones.error} />
        <Table
          label="phone bindings"
          rows={phones.data?.bindings}
          columns={[
            { head: "phone", cell: (r) => <code>{r.phone}</code> },
            { head: "user", cell: (r) => r.user_id },
            { head: "workspace", cell: (r) => r.workspace_id },
            { head: "trust", cell: (r) => `${r.effective_trust_mode} (asked ${r.trust_mode})` },
            { head: "state", cell: (r) => <Pill value={r.opted_out_at ? "opted out" : "active"} /> },
            { head: "session", cell: (r) => (r.session_id ? <code>{r.session_id.slice(0, 8)}</code> : "—") },
            { head: "updated", cell: (r) => <Ago at={r.updated_at} /> },
          ]}
        />
      </Section>
      <Section title="Discord bindings" id="discord">
        <ErrorNote error={discord.error} />
        <Table
          label="discord bindings"
          rows={discord.data?.bindings}
          columns={[
            { head: "discord user", cell: (r) => <code>{r.discord_user_id}</code> },
            { head: "guild", cell: (r) => r.guild_id ?? "any" },
            { head: "user", cell: (r) => r.user_id },
            { head: "workspace", cell: (r) => r.workspace_id },
            { head: "updated", cell: (r) => <Ago at={r.updated_at} /> },
          ]}
        />
      </Section>
    </>
  );
}

function ChatPage() {
  const { query } = useLocation();
  const [workspace, setWorkspace] = useState(query.workspace ?? "");
  const [founder, setFounder] = useState(query.founder ?? "");
  return (
    <>
      <h1>Chat</h1>
      <form class="filters" aria-label="chat filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Workspace
          <input value={workspace} onChange={(e) => setWorkspace(e.currentTarget.value.trim())} />
        </label>
        <label>
          Founder
          <input value={founder} onChange={(e) => setFounder(e.currentTarget.value.trim())} />
        </label>
      </form>
      <Sessions workspace={workspace} founder={founder} />
      {workspace ? (
        <Workspace id={workspace} />
      ) : (
        <p class="muted">Name a workspace to see its costs, budget and jobs.</p>
      )}
      <Bindings />
    </>
  );
}

function text(messages: readonly unknown[]): string {
  return messages
    .map((m) => {
      const msg = m as { role?: string; content?: { type?: string; text?: string }[] | string };
      const body =
        typeof msg.content === "string"
          ? msg.content
          : (msg.content ?? []).map((b) => (b.type === "text" ? (b.text ?? "") : `[${b.type ?? "?"}]`)).join("");
      return `${msg.role ?? "?"}: ${body}`;
    })
    .join("\n");
}

function Transcript(props: { id?: string }) {
  const id = props.id ?? "";
  const [cursor, setCursor] = useState<string | null>(null);
  const rows = useAsync(
    () =>
      must(
        api.GET("/api/v1/chat/sessions/{id}/transcript", {
          params: { path: { id }, query: { cursor: cursor ?? undefined, limit: 100 } },
        }),
      ),
    [id, cursor],
  );
  return (
    <>
      <h1>
        Session <code>{id.slice(0, 8)}</code>
      </h1>
      <p>
        <a href={href("chat")}>All sessions</a>
      </p>
      <Section title="Transcript" id="transcript">
        <ErrorNote error={rows.error} />
        <Table
          label="transcript"
          rows={rows.data?.rows}
          columns={[
            { head: "at", cell: (r) => <Ago at={r.at} /> },
            { head: "surface", cell: (r) => r.surface ?? "—" },
            { head: "trust", cell: (r) => (r.trust_mode === null ? "—" : String(r.trust_mode)) },
            {
              head: "messages",
              cell: (r) =>
                r.messages === null ? (
                  <span class="muted">{r.message_count} messages (Sovereign: not shown to operators)</span>
                ) : (
                  <pre style={{ whiteSpace: "pre-wrap", margin: 0 }}>{text(r.messages)}</pre>
                ),
            },
          ]}
        />
        <Pager cursor={cursor} next={rows.data?.next_cursor} onCursor={setCursor} />
      </Section>
    </>
  );
}

export const page: PageDef = {
  path: "chat",
  title: "Chat",
  order: 50,
  scopes: ["admin"],
  routes: [
    { path: "", component: ChatPage },
    { path: "session/:id", component: Transcript as PageRoute["component"] },
  ],
};
