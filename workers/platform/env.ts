/**
 * The Worker's bindings and vars. Their types are generated from wrangler.toml by `npm run types` into
 * worker-configuration.d.ts (checked in; CI fails when it is stale); this module adds only what
 * wrangler.toml cannot declare, and names the result for every domain and Durable Object.
 */

declare global {
  // `import { env } from "cloudflare:workers"` and the generated file type the env from this namespace.
  // eslint-disable-next-line @typescript-eslint/no-namespace -- merging into a global namespace needs its syntax
  namespace Cloudflare {
    interface Env {
      /** Workers AI; deliberately not bound in wrangler.toml (it always calls Cloudflare, even locally). */
      AI?: Ai;
      /** A whole tensorzero.toml as text; optional, so not in wrangler.toml (its absence means "not set"). */
      GATEWAY_CONFIG?: string;
      /**
       * Provider credentials the bundled tensorzero.toml interpolates with ${env.NAME}: secrets, so absent
       * from wrangler.toml, and any provider may be left unconfigured.
       */
      [name: `${string}_API_KEY` | `${string}_API_TOKEN` | `${string}_ACCOUNT_ID`]: string | undefined;
    }
  }
}

export type Env = Cloudflare.Env;
