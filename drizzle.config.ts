import { defineConfig } from "drizzle-kit";

// drizzle-kit 0.31 writes flat NNNN_name.sql files, which is what wrangler and readD1Migrations read.
export default defineConfig({
  dialect: "sqlite",
  schema: "./workers/platform/db/schema.ts",
  out: "./d1-migrations",
  strict: true,
  verbose: true,
});
