/**
 * Real concurrency against the registry: many claimers of mixed skill racing through the Worker's entry at
 * once. Every item must be claimed at most once, and never by a claimer below its required skill.
 */
import { describe, it } from "vitest";
import { ADMIN, call, createItems, registerBot, type Skill } from "./helpers";

const SKILLS: Skill[] = ["basic", "tac_enabled", "mcp_augmented", "agentic"];
const RANK: Record<string, number> = { basic: 0, tac_enabled: 1, mcp_augmented: 2, agentic: 3 };

interface Granted {
  work_item_id: string;
  required_skill_level: string;
}

describe("POST /v1/workitems/claim under concurrency", () => {
  it("should never double-claim or over-claim with 60 claimers racing for 240 items", async ({ expect }) => {
    const auth = await ADMIN();
    const integration = `race-${Date.now()}`;
    const claimers = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const skill = SKILLS[i % 4] as Skill;
        return { skill, id: await registerBot(skill, auth) };
      }),
    );
    const items = await createItems(
      auth,
      Array.from({ length: 240 }, (_, i) => ({
        integration_name: integration,
        required_skill_level: SKILLS[(i * 7) % 4],
        priority: i % 10,
      })),
    );

    const claims: { claimer: string; skill: Skill; granted: Granted }[] = [];
    const statuses = new Map<number, number>();
    await Promise.all(
      claimers.map(async ({ id, skill }) => {
        for (;;) {
          const res = await call("/v1/workitems/claim", {
            token: auth,
            body: { botz_id: id, integration_name: integration },
          });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status !== 200) return;
          claims.push({ claimer: id, skill, granted: await res.json<Granted>() });
        }
      }),
    );

    const ids = claims.map((c) => c.granted.work_item_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(items.length);
    expect(claims.filter((c) => (RANK[c.granted.required_skill_level] ?? 99) > (RANK[c.skill] ?? -1))).toEqual([]);
    expect([...statuses.keys()].sort()).toEqual([200, 404]);
  });

  it("should grant each contested item to exactly one of 50 simultaneous claimers", async ({ expect }) => {
    const auth = await ADMIN();
    const claimers = await Promise.all(Array.from({ length: 50 }, (_, i) => registerBot(SKILLS[i % 4] as Skill, auth)));
    const items = await createItems(
      auth,
      Array.from({ length: 20 }, () => ({ required_skill_level: "tac_enabled" })),
    );
    for (const item of items) {
      const results = await Promise.all(
        claimers.map(async (botz_id, i) => {
          const res = await call("/v1/workitems/claim", { token: auth, body: { botz_id, work_item_id: item } });
          return { status: res.status, skill: SKILLS[i % 4] as Skill };
        }),
      );
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      const winner = results.find((r) => r.status === 200);
      expect(RANK[winner?.skill ?? "basic"]).toBeGreaterThanOrEqual(RANK.tac_enabled ?? 1);
      expect(results.filter((r) => r.skill === "basic").every((r) => r.status === 403 || r.status === 409)).toBe(true);
      expect(results.every((r) => [200, 403, 409].includes(r.status))).toBe(true);
    }
  });
});
