/**
 * Admin: API keys (create — the key is shown once, here only —, revoke) and the ChainBot audit log with its
 * filters and cursor paging. Each part needs its own scope (admin, chainbot:admin).
 */
import { useState } from "preact/hooks";
import { api, must } from "../../api/client";
import type { components } from "../../api/openapi";
import { can } from "../../api/session";
import { Ago, ErrorNote, Pager, Pill, Section } from "../../ui/parts";
import { Table } from "../../ui/table";
import { useAsync } from "../../ui/use-async";
import type { PageDef } from "../page";

type Scope = components["schemas"]["CreateApiKeyRequest"]["scopes"][number];

function ApiKeys() {
  const keys = useAsync(() => must(api.GET("/v1/admin/api-keys")), []);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState("metrics:read");
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function create(e: Event) {
    e.preventDefault();
    try {
      const k = await must(
        api.POST("/v1/admin/api-keys", { body: { name, scopes: scopes.split(/[\s,]+/).filter(Boolean) as Scope[] } }),
      );
      setCreated({ name: k.name, key: k.key });
      setName("");
      setError(null);
      keys.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  async function revoke(id: string) {
    try {
      await must(api.DELETE("/v1/admin/api-keys/{id}", { params: { path: { id } } }));
      setError(null);
      keys.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }
  return (
    <Section title="API keys" id="api-keys">
      <form class="row" onSubmit={(e) => void create(e)} aria-label="create API key">
        <label>
          Name
          <input name="key-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          Scopes (space-separated)
          <input name="key-scopes" required value={scopes} onInput={(e) => setScopes(e.currentTarget.value)} />
        </label>
        <button type="submit">Create key</button>
      </form>
      {created && (
        <div role="status">
          <p>
            Key <strong>{created.name}</strong>, shown this once — copy it now:
          </p>
          <p class="secret" data-testid="new-key">
            {created.key}
          </p>
          <button type="button" class="ghost" onClick={() => setCreated(null)}>
            I have copied it
          </button>
        </div>
      )}
      <ErrorNote error={error ?? keys.error} />
      <Table
        label="API keys"
        rows={keys.data?.api_keys}
        columns={[
          { head: "name", cell: (r) => r.name },
          { head: "prefix", cell: (r) => <code>{r.prefix}</code> },
          { head: "scopes", cell: (r) => r.scopes.join(" ") },
          { head: "created", cell: (r) => <Ago at={r.created_at} /> },
          { head: "last used", cell: (r) => <Ago at={r.last_used_at} /> },
          { head: "state", cell: (r) => <Pill value={r.revoked_at ? "revoked" : "active"} /> },
          {
            head: "actions",
            cell: (r) =>
              r.revoked_at ? null : (
                <button type="button" class="danger" aria-label={`Revoke ${r.name}`} onClick={() => void revoke(r.id)}>
                  Revoke
                </button>
              ),
          },
        ]}
      />
    </Section>
  );
}

function Audit() {
  const [user, setUser] = useState("");
  const [action, setAction] = useState("");
  const [outcome, setOutcome] = useState("");
  const [cursor, setCursor] = useState<string | null>(null);
  const log = useAsync(
    () =>
      must(
        api.GET("/api/chainbot/audit", {
          params: {
            query: {
              user: user || undefined,
              action: action || undefined,
              outcome: (outcome || undefined) as "success" | "failure" | undefined,
              cursor: cursor ?? undefined,
              limit: 50,
            },
          },
        }),
      ),
    [user, action, outcome, cursor],
  );
  return (
    <Section title="Audit log (ChainBot)" id="audit">
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          User
          <input value={user} onChange={(e) => (setCursor(null), setUser(e.currentTarget.value))} />
        </label>
        <label>
          Action
          <input value={action} onChange={(e) => (setCursor(null), setAction(e.currentTarget.value))} />
        </label>
        <label>
          Outcome
          <select value={outcome} onChange={(e) => (setCursor(null), setOutcome(e.currentTarget.value))}>
            <option value="">any</option>
            <option>success</option>
            <option>failure</option>
          </select>
        </label>
      </form>
      <ErrorNote error={log.error} />
      <Table
        label="audit log"
        rows={log.data?.entries}
        columns={[
          { head: "time", cell: (r) => <code>{r.timestamp}</code> },
          { head: "user", cell: (r) => r.user_id },
          { head: "action", cell: (r) => r.action },
          { head: "resource", cell: (r) => <code>{r.resource}</code> },
          { head: "outcome", cell: (r) => <Pill value={r.outcome} /> },
          { head: "status", cell: (r) => r.status ?? "" },
        ]}
      />
      <Pager cursor={cursor} next={log.data?.next_cursor} onCursor={setCursor} />
    </Section>
  );
}

function AdminPage() {
  return (
    <>
      <h1>Admin</h1>
      {can("admin") && <ApiKeys />}
      {can("chainbot:admin") && <Audit />}
    </>
  );
}

export const page: PageDef = {
  path: "admin",
  title: "Admin",
  order: 90,
  scopes: ["admin", "chainbot:admin"],
  routes: [{ path: "", component: AdminPage }],
};
