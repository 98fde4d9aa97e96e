// The floor for any Node agent: a bare Hono server with a better-sqlite3 database and one route.
import { serve } from "@hono/node-server";
import Database from "better-sqlite3";
import { Hono } from "hono";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const db = new Database(join(mkdtempSync(join(tmpdir(), "gh-bare-")), "bare.db"));
db.pragma("journal_mode = WAL");
db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)");
const app = new Hono();
app.get("/healthz", (c) => c.json({ status: "ok", rows: db.prepare("SELECT count(*) AS n FROM t").get().n }));
app.get("/", (c) => c.html(`<!doctype html><title>bare</title><p>${db.prepare("SELECT count(*) AS n FROM t").get().n}</p>`));
serve({ fetch: app.fetch, hostname: "127.0.0.1", port: Number(process.argv[2]) });
