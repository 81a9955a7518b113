/**
 * ChainBot config levels through the Worker's entry: bundled defaults (the seed's default.yaml) → env
 * `ALEX_OS_CHAINBOT_*` → uploaded JSON/YAML/TOML files in name order → runtime PATCH, each overriding the one
 * below, with GET showing every key's value and its level. Env vars are given per request (the test env plus
 * those vars); every file and runtime override a test makes is removed in afterEach, through the routes.
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, it } from "vitest";
import { CONFIG_KEY_NAMES, envNameOf } from "../../workers/chainbot/config/keys";
import { invalidateChainbotConfig, loadChainbotConfig } from "../../workers/chainbot/config/load";
import worker from "../../workers/index";
import { ADMIN, call, json, token } from "./helpers";

interface Entry {
  value: unknown;
  source: string;
  default: unknown;
  env_var: string;
}
interface View {
  order: string[];
  keys: Record<string, Entry>;
  files: { name: string; format: string; keys: string[] }[];
  problems: { name: string; value: string; message: string; fallback: string }[];
}
interface ErrorBody {
  error: { code: string; message: string; details: { issues: { field: string; message: string }[] } };
}

const PATH = "/api/chainbot/config";
const KEY = "workflow.max_concurrent_executions";

async function fetchWith(vars: Record<string, string>, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`https://botplane.test${path}`, init), { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** With vars: the Worker's fetch given the test env plus those vars; without: the Worker's own entry. */
async function view(vars: Record<string, string> = {}): Promise<View> {
  const auth = await ADMIN();
  const res =
    Object.keys(vars).length === 0
      ? await call(PATH, { token: auth })
      : await fetchWith(vars, PATH, { headers: { authorization: `Bearer ${auth}` } });
  if (res.status !== 200) throw new Error(`GET config: ${res.status} ${await res.text()}`);
  return json<View>(res);
}

async function putFile(name: string, contentType: string, body: string): Promise<Response> {
  return call(`${PATH}/files/${name}`, {
    method: "PUT",
    body,
    token: await ADMIN(),
    headers: { "content-type": contentType },
  });
}

async function patch(body: Record<string, unknown>): Promise<Response> {
  return call(PATH, { method: "PATCH", body, token: await ADMIN() });
}

afterEach(async () => {
  const { files, keys } = await view();
  const auth = await ADMIN();
  for (const f of files) await call(`${PATH}/files/${f.name}`, { method: "DELETE", token: auth });
  const runtime = Object.entries(keys).filter(([, e]) => e.source === "runtime");
  if (runtime.length > 0) await patch(Object.fromEntries(runtime.map(([k]) => [k, null])));
});

describe("GET /api/chainbot/config", () => {
  it("should show the seed's default.yaml values, every key at the default level", async ({ expect }) => {
    const v = await view();
    const values = Object.fromEntries(Object.entries(v.keys).map(([k, e]) => [k, e.value]));
    expect(values).toEqual({
      "database.url": "postgresql://localhost/chainbot",
      "database.pool_size": 10,
      "database.max_overflow": 20,
      "workflow.max_concurrent_executions": 5,
      "workflow.default_timeout_hours": 1,
      "workflow.retry_attempts": 3,
      "agents.types": ["assistant", "data_processor", "api", "workflow"],
      "agents.max_instances_per_type": 10,
      "agents.max_total_instances": 50,
      "raspberry_pi.enable_hardware_monitoring": true,
      "raspberry_pi.cpu_temp_threshold_celsius": 80,
      "raspberry_pi.enable_gpio_integration": false,
      "raspberry_pi.gpio_pins.status_led": 18,
      "raspberry_pi.gpio_pins.error_led": 23,
    });
    expect(new Set(Object.values(v.keys).map((e) => e.source))).toEqual(new Set(["default"]));
    expect(v.keys[KEY]?.env_var).toBe("ALEX_OS_CHAINBOT_WORKFLOW_MAX_CONCURRENT_EXECUTIONS");
    expect(v.order).toEqual(["default", "env", "runtime"]);
    expect(v.problems).toEqual([]);
  });

  it("should name each key's env var in the seed's form", ({ expect }) => {
    expect(CONFIG_KEY_NAMES.map(envNameOf)).toContain("ALEX_OS_CHAINBOT_AGENTS_MAX_TOTAL_INSTANCES");
    expect(envNameOf("raspberry_pi.gpio_pins.status_led")).toBe("ALEX_OS_CHAINBOT_RASPBERRY_PI_GPIO_PINS_STATUS_LED");
  });
});

describe("ALEX_OS_CHAINBOT_* env level", () => {
  it("should override a default, typed by the default's type", async ({ expect }) => {
    const v = await view({
      ALEX_OS_CHAINBOT_WORKFLOW_MAX_CONCURRENT_EXECUTIONS: "10",
      ALEX_OS_CHAINBOT_WORKFLOW_DEFAULT_TIMEOUT_HOURS: "0.5",
      ALEX_OS_CHAINBOT_RASPBERRY_PI_ENABLE_GPIO_INTEGRATION: "true",
      ALEX_OS_CHAINBOT_AGENTS_TYPES: "assistant, api",
      ALEX_OS_CHAINBOT_DATABASE_URL: "postgresql://user:pass@host/chainbot",
    });
    expect(v.keys[KEY]).toMatchObject({ value: 10, source: "env", default: 5 });
    expect(v.keys["workflow.default_timeout_hours"]).toMatchObject({ value: 0.5, source: "env" });
    expect(v.keys["raspberry_pi.enable_gpio_integration"]).toMatchObject({ value: true, source: "env" });
    expect(v.keys["agents.types"]).toMatchObject({ value: ["assistant", "api"], source: "env" });
    // The URL's password never leaves the Worker.
    expect(v.keys["database.url"]).toMatchObject({ value: "postgresql://user:***@host/chainbot", source: "env" });
    expect(v.keys["agents.max_total_instances"]).toMatchObject({ value: 50, source: "default" });
  });

  it("should keep the default for a bad value and name the var, its value and why", async ({ expect }) => {
    const v = await view({
      ALEX_OS_CHAINBOT_WORKFLOW_MAX_CONCURRENT_EXECUTIONS: "ten",
      ALEX_OS_CHAINBOT_RASPBERRY_PI_ENABLE_HARDWARE_MONITORING: "maybe",
      ALEX_OS_CHAINBOT_AGENTS_TYPES: "assistant,robot",
    });
    expect(v.keys[KEY]).toMatchObject({ value: 5, source: "default" });
    expect(v.keys["raspberry_pi.enable_hardware_monitoring"]).toMatchObject({ value: true, source: "default" });
    expect(v.problems).toEqual([
      {
        name: "ALEX_OS_CHAINBOT_WORKFLOW_MAX_CONCURRENT_EXECUTIONS",
        value: "ten",
        message: '"ten" is not a positive integer',
        fallback: "5",
      },
      {
        name: "ALEX_OS_CHAINBOT_AGENTS_TYPES",
        value: "assistant,robot",
        message: '[1] Invalid option: expected one of "assistant"|"data_processor"|"api"|"workflow"',
        fallback: '["assistant","data_processor","api","workflow"]',
      },
      {
        name: "ALEX_OS_CHAINBOT_RASPBERRY_PI_ENABLE_HARDWARE_MONITORING",
        value: "maybe",
        message: '"maybe" is not true or false',
        fallback: "true",
      },
    ]);
  });

  it("should refuse a value the key's schema forbids (a GPIO pin past 27)", async ({ expect }) => {
    const v = await view({ ALEX_OS_CHAINBOT_RASPBERRY_PI_GPIO_PINS_ERROR_LED: "40" });
    expect(v.keys["raspberry_pi.gpio_pins.error_led"]).toMatchObject({ value: 23, source: "default" });
    expect(v.problems.map((p) => p.name)).toEqual(["ALEX_OS_CHAINBOT_RASPBERRY_PI_GPIO_PINS_ERROR_LED"]);
  });
});

describe("PUT /api/chainbot/config/files/{name}", () => {
  it("should take YAML, TOML and JSON files and show each key's file as its level", async ({ expect }) => {
    const yaml = await putFile(
      "a-base.yaml",
      "application/yaml",
      "workflow:\n  max_concurrent_executions: 7\n  retry_attempts: 4\n",
    );
    expect(yaml.status).toBe(201);
    const toml = await putFile("b-pi.toml", "application/toml", "[raspberry_pi.gpio_pins]\nstatus_led = 17\n");
    expect(toml.status).toBe(201);
    const jsonFile = await putFile(
      "c-agents.json",
      "application/json",
      JSON.stringify({ agents: { max_total_instances: 60 } }),
    );
    expect(jsonFile.status).toBe(201);
    const v = await view();
    expect(v.keys[KEY]).toMatchObject({ value: 7, source: "file:a-base.yaml" });
    expect(v.keys["workflow.retry_attempts"]).toMatchObject({ value: 4, source: "file:a-base.yaml" });
    expect(v.keys["raspberry_pi.gpio_pins.status_led"]).toMatchObject({ value: 17, source: "file:b-pi.toml" });
    expect(v.keys["agents.max_total_instances"]).toMatchObject({ value: 60, source: "file:c-agents.json" });
    expect(v.files.map((f) => [f.name, f.format, f.keys])).toEqual([
      ["a-base.yaml", "yaml", ["workflow.max_concurrent_executions", "workflow.retry_attempts"]],
      ["b-pi.toml", "toml", ["raspberry_pi.gpio_pins.status_led"]],
      ["c-agents.json", "json", ["agents.max_total_instances"]],
    ]);
    expect(v.order).toEqual(["default", "env", "file:a-base.yaml", "file:b-pi.toml", "file:c-agents.json", "runtime"]);
  });

  it("should apply files in name order, a later name winning, and answer 200 when replacing one", async ({
    expect,
  }) => {
    expect((await putFile("20-late.yaml", "application/yaml", `${KEY}: 9\n`)).status).toBe(201);
    expect(
      (await putFile("10-early.yaml", "application/yaml", "workflow: {max_concurrent_executions: 6}\n")).status,
    ).toBe(201);
    expect((await view()).keys[KEY]).toMatchObject({ value: 9, source: "file:20-late.yaml" });
    expect((await putFile("20-late.yaml", "application/yaml", "workflow: {retry_attempts: 1}\n")).status).toBe(200);
    expect((await view()).keys[KEY]).toMatchObject({ value: 6, source: "file:10-early.yaml" });
  });

  it("should let a file override the env level", async ({ expect }) => {
    const vars = { ALEX_OS_CHAINBOT_WORKFLOW_MAX_CONCURRENT_EXECUTIONS: "10" };
    expect((await view(vars)).keys[KEY]).toMatchObject({ value: 10, source: "env" });
    await putFile("over-env.toml", "application/toml", "[workflow]\nmax_concurrent_executions = 12\n");
    expect((await view(vars)).keys[KEY]).toMatchObject({ value: 12, source: "file:over-env.toml" });
  });

  it("should answer 400 naming the key for an unknown key or a wrong type, and store nothing", async ({ expect }) => {
    const cases: [string, string, string, string, string][] = [
      ["application/yaml", "workflow:\n  max_concurrent_executions: lots\n", KEY, "expected number", "invalid_config"],
      [
        "application/toml",
        "[workflow]\nmax_concurrent_executionz = 3\n",
        "workflow.max_concurrent_executionz",
        "unknown key",
        "invalid_config",
      ],
      ["application/json", '{"agents":{"types":["assistant","robot"]}}', "agents.types", "[1]", "invalid_config"],
      [
        "application/json",
        '{"raspberry_pi":{"gpio_pins":5}}',
        "raspberry_pi.gpio_pins",
        "must be a table",
        "invalid_config",
      ],
      ["application/yaml", "bogus:\n  x: 1\n", "bogus", "unknown key", "invalid_config"],
      ["application/yaml", "workflow: [\n", "body", "yaml:", "invalid_config"],
      ["application/toml", "[workflow\n", "body", "toml:", "invalid_config"],
    ];
    for (const [type, body, field, message, code] of cases) {
      const res = await putFile("bad.cfg", type, body);
      expect(res.status, body).toBe(400);
      const err = (await json<ErrorBody>(res)).error;
      expect(err.code, body).toBe(code);
      expect(err.message, body).toContain(field);
      expect(err.details.issues[0]?.field, body).toBe(field);
      expect(err.details.issues[0]?.message, body).toContain(message);
    }
    expect((await view()).files).toEqual([]);
  });

  it("should answer 415 for a form body and 400 for a bad name or missing body", async ({ expect }) => {
    expect((await putFile("x.txt", "text/plain", "a=b")).status).toBe(415);
    const badName = await putFile("..%2Fetc", "application/yaml", "workflow: {}\n");
    expect(badName.status).toBe(400);
    expect((await json<ErrorBody>(badName)).error.message).toContain("param.name");
    const none = await call(`${PATH}/files/empty`, { method: "PUT", token: await ADMIN() });
    expect(none.status).toBe(400);
  });

  it("should answer 404 deleting a file that is not there", async ({ expect }) => {
    const res = await call(`${PATH}/files/nope.yaml`, { method: "DELETE", token: await ADMIN() });
    expect(res.status).toBe(404);
    expect((await json<ErrorBody>(res)).error.code).toBe("config_file_not_found");
  });
});

describe("PATCH /api/chainbot/config", () => {
  it("should override files and env at runtime, and fall back when the override is removed", async ({ expect }) => {
    await putFile("base.yaml", "application/yaml", `${KEY}: 7\n`);
    const res = await patch({ [KEY]: 8, "raspberry_pi.enable_hardware_monitoring": false });
    expect(res.status).toBe(200);
    const patched = await json<View>(res);
    expect(patched.keys[KEY]).toMatchObject({ value: 8, source: "runtime" });
    expect(patched.keys["raspberry_pi.enable_hardware_monitoring"]).toMatchObject({ value: false, source: "runtime" });
    expect((await view({ ALEX_OS_CHAINBOT_WORKFLOW_MAX_CONCURRENT_EXECUTIONS: "10" })).keys[KEY]).toMatchObject({
      value: 8,
      source: "runtime",
    });
    const removed = await json<View>(await patch({ [KEY]: null }));
    expect(removed.keys[KEY]).toMatchObject({ value: 7, source: "file:base.yaml" });
  });

  it("should answer 400 naming the key for an unknown key or a wrong type, changing nothing", async ({ expect }) => {
    const res = await patch({ [KEY]: 8, "workflow.retry_attempts": "three" });
    expect(res.status).toBe(400);
    const err = (await json<ErrorBody>(res)).error;
    expect(err.code).toBe("invalid_input");
    expect(err.details.issues).toEqual([
      { field: "body.workflow.retry_attempts", message: "Invalid input: expected number, received string" },
    ]);
    const unknown = await json<ErrorBody>(await patch({ "workflow.speed": 1 }));
    expect(unknown.error.message).toBe("body.workflow.speed: unknown key");
    expect((await json<ErrorBody>(await patch({}))).error.message).toBe("body: no keys to change");
    expect((await view()).keys[KEY]).toMatchObject({ value: 5, source: "default" });
  });

  it("should need chainbot:admin; chainbot:read is not enough", async ({ expect }) => {
    const res = await call(PATH, { method: "PATCH", body: { [KEY]: 8 }, token: await token(["chainbot:read"]) });
    expect(res.status).toBe(403);
    const ok = await call(PATH, { method: "PATCH", body: { [KEY]: 8 }, token: await token(["chainbot:admin"]) });
    expect(ok.status).toBe(200);
  });
});

describe("loadChainbotConfig", () => {
  it("should give the engine typed values from every level", async ({ expect }) => {
    await putFile("engine.yaml", "application/yaml", "agents:\n  max_instances_per_type: 3\n");
    await patch({ "workflow.retry_attempts": 5 });
    invalidateChainbotConfig();
    const config = await loadChainbotConfig({
      ...env,
      ALEX_OS_CHAINBOT_WORKFLOW_MAX_CONCURRENT_EXECUTIONS: "2",
    } as typeof env);
    expect(config.values[KEY]).toBe(2);
    expect(config.values["agents.max_instances_per_type"]).toBe(3);
    expect(config.values["workflow.retry_attempts"]).toBe(5);
    expect(config.values["agents.max_total_instances"]).toBe(50);
    expect(config.entries[KEY].source).toBe("env");
    expect(config.entries["agents.max_instances_per_type"].source).toBe("file:engine.yaml");
    expect(config.entries["workflow.retry_attempts"].source).toBe("runtime");
  });
});
