/**
 * Chat: the phone numbers (SMS/voice) and Discord users bound to founders and workspaces. Sessions,
 * transcripts and scheduled jobs come with their list routes.
 */
import { api, must } from "../../api/client";
import { Ago, ErrorNote, Pill, Section } from "../../ui/parts";
import { Table } from "../../ui/table";
import { useAsync } from "../../ui/use-async";
import type { PageDef } from "../page";

function ChatPage() {
  const phones = useAsync(() => must(api.GET("/api/v1/chat/phone-bindings")), []);
  const discord = useAsync(
    () => must(api.GET("/api/v1/chat/discord-bindings", { params: { query: { limit: 200 } } })),
    [],
  );
  return (
    <>
      <h1>Chat</h1>
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

export const page: PageDef = {
  path: "chat",
  title: "Chat",
  order: 50,
  scopes: ["admin"],
  routes: [{ path: "", component: ChatPage }],
};
