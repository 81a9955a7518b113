/**
 * EdgeHub: placeholder while it is being built (issue 4); declared so wrangler.toml's binding resolves.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../workers/platform/env";

export class EdgeHub extends DurableObject<Env> {}
