import { defineConfig } from "drizzle-kit";

// The analytics database (ANALYTICS_DB) is a separate D1 database with its own migrations folder.
export default defineConfig({
  dialect: "sqlite",
  schema: "./workers/jimbot/analytics/tables.ts",
  out: "./analytics-migrations",
  strict: true,
  verbose: true,
});
