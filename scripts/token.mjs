#!/usr/bin/env node
// npm run token -- --sub NAME --scopes "a b" [--ttl 24h] [--workspace ID]
// Mints a development JWT signed with .dev.vars' AUTH_JWT_SECRET and prints only the token, on its last line.
//   operator:    npm run token -- --sub ops --scopes "edge:read edge:command"
//   edge device: npm run token -- --sub pi-kitchen --scopes edge:device   (sub = the device id it connects as)
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { ensureDevVars, readDevVars } from "./dev-vars.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    sub: { type: "string", default: "developer" },
    scopes: { type: "string", default: "admin" },
    ttl: { type: "string", default: "24h" },
    workspace: { type: "string" },
  },
});

const secret = readDevVars(ensureDevVars(root)).AUTH_JWT_SECRET;
if (!secret) {
  console.error("AUTH_JWT_SECRET is not set in .dev.vars");
  process.exit(2);
}
const claims = { scopes: values.scopes.split(/\s+/).filter(Boolean) };
// The hub accepts a device token only for the device named by its sub (durable-objects/protocol.ts' rule).
if (claims.scopes.includes("edge:device") && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(values.sub)) {
  console.error(`--sub '${values.sub}' is not a device id (lowercase letters, digits and dashes, at most 63)`);
  process.exit(2);
}
if (values.workspace) claims.workspace_id = values.workspace;
const token = await new SignJWT(claims)
  .setProtectedHeader({ alg: "HS256" })
  .setSubject(values.sub)
  .setIssuedAt()
  .setExpirationTime(values.ttl)
  .sign(new TextEncoder().encode(secret));
console.log(token);
