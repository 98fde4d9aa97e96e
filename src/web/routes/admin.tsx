/** Admin pages: users (with re-authentication), audit log with CSV export, settings. */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { appendAudit, auditChain, describeAuditChain } from "../../agent/audit.js";
import { enqueue } from "../../agent/alerts/engine.js";
import { instantAt } from "../../kit/time.js";
import { sessionCountsByUser } from "../../agent/store/sessions.js";
import { voidPendingEnrollments } from "../../agent/store/users.js";
import {
  countActiveAdmins,
  createEnrollment,
  deleteUserSessions,
  hasPendingEnrollment,
  listUsers,
  ROLES,
  setDisabled,
  setRole,
  userById,
  userByName,
  USERNAME_RE,
  type Role,
} from "../auth/store.js";
import type { Ctx } from "../context.js";
import { auditCsv, auditRowView, effectiveConfigYaml, queryAudit } from "../data.js";
import { idParam, readForm, text } from "../forms.js";
import { respond } from "../render.js";
import type { Routes } from "./table.js";
import { AuditPage, AuditTable, SettingsPage, UsersPage, type AuditFilters } from "../../../views/pages/admin.js";

const viewerOf = (c: Ctx) => ({ username: c.var.auth!.user.username, role: c.var.auth!.user.role });
const actorOf = (c: Ctx) => `user:${c.var.auth!.user.username}`;

const addUserForm = z.object({ username: text(64, 1).refine((s) => USERNAME_RE.test(s), { message: "lower-case letters, digits, . _ - (at most 64)" }), role: z.enum(ROLES) });
const roleForm = z.object({ role: z.enum(ROLES) });
const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  // A real calendar day: Date.parse alone takes 2026-02-30 (as 2 March).
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
  })
  .optional()
  .or(z.literal("").transform(() => undefined));
const auditQuery = z.object({ actor: z.string().max(64).optional(), action: z.string().max(64).optional(), from: date, to: date });

/** A one-time link under the console's base URL (the configured public URL, else this request's origin), by URL resolution. */
function enrollLink(c: Ctx, token: string): string {
  const base = c.var.web.config.console.publicUrl ?? new URL(c.req.url).origin;
  return new URL(`enroll/${token}`, base.endsWith("/") ? base : `${base}/`).href;
}

export function adminRoutes(r: Routes): void {
  const usersPage = (c: Ctx, opts: { link?: string; error?: string; notice?: string } = {}, status: 200 | 400 | 404 | 409 = 200) => {
    const web = c.var.web;
    const sessions = sessionCountsByUser(web.db);
    const users = listUsers(web.db).map((u) => ({ id: u.id, username: u.username, role: u.role, createdAt: u.createdAt, createdBy: u.createdBy, disabled: u.disabledAt !== null, sessions: sessions.get(u.id) ?? 0 }));
    return respond(c, { page: () => <UsersPage site={web.config.site} viewer={viewerOf(c)} tz={web.config.timezone} users={users} link={opts.link} error={opts.error} notice={opts.notice} /> }, status);
  };

  r.add({ method: "GET", path: "/users", access: "admin" }, (c) => usersPage(c));

  r.add({ method: "POST", path: "/users", access: "admin", reauth: true, back: "/users" }, async (c) => {
    const web = c.var.web;
    const f = await readForm(c, addUserForm);
    if (!f.ok) return usersPage(c, { error: f.message }, 400);
    if (userByName(web.db, f.data.username)) return usersPage(c, { error: "That user name is taken." }, 409);
    if (hasPendingEnrollment(web.db, f.data.username, web.now())) return usersPage(c, { error: "An enrollment link for that name is already outstanding." }, 409);
    const token = web.db.transaction(() => {
      const t = createEnrollment(web.db, { kind: "enroll", username: f.data.username, role: f.data.role, createdBy: actorOf(c), now: web.now() });
      appendAudit(web.db, { at: web.now(), actor: actorOf(c), action: "user.invite", target: `user:${f.data.username}`, address: c.var.address, detail: { before: null, after: { username: f.data.username, role: f.data.role } } });
      return t;
    })();
    return usersPage(c, { link: enrollLink(c, token) });
  });

  const change = (path: string, apply: (c: Ctx, userId: number) => Promise<string | undefined> | string | undefined) =>
    r.add({ method: "POST", path, access: "admin", reauth: true, back: "/users" }, async (c) => {
      const id = idParam((c.req.param("id") ?? ""));
      if (id === undefined || !userById(c.var.web.db, id)) return usersPage(c, { error: "No such user." }, 404);
      const error = await apply(c, id);
      if (error) return usersPage(c, { error }, 409);
      return c.redirect("/users", 303);
    });

  change("/users/:id/role", async (c, id) => {
    const web = c.var.web;
    const f = await readForm(c, roleForm);
    if (!f.ok) return f.message;
    const u = userById(web.db, id)!;
    const role: Role = f.data.role;
    if (u.role === role) return undefined;
    return web.db.transaction(() => {
      if (u.role === "admin" && u.disabledAt === null && countActiveAdmins(web.db) <= 1) return "This is the last active administrator; make another one first.";
      setRole(web.db, id, role);
      appendAudit(web.db, { at: web.now(), actor: actorOf(c), action: "user.role_change", target: `user:${u.username}`, address: c.var.address, detail: { before: { role: u.role }, after: { role } } });
      return undefined;
    })();
  });

  change("/users/:id/disable", (c, id) => {
    const web = c.var.web;
    const u = userById(web.db, id)!;
    if (u.disabledAt !== null) return undefined;
    return web.db.transaction(() => {
      if (u.role === "admin" && countActiveAdmins(web.db) <= 1) return "This is the last active administrator; it cannot be disabled.";
      setDisabled(web.db, id, web.now());
      // Disabling ends the user's sessions on the server at once.
      const ended = deleteUserSessions(web.db, id);
      appendAudit(web.db, { at: web.now(), actor: actorOf(c), action: "user.disable", target: `user:${u.username}`, address: c.var.address, detail: { before: { disabled: false }, after: { disabled: true }, sessions_ended: ended } });
      return undefined;
    })();
  });

  /** Lost phone or password: a one-time link to set both again; current sessions end now. */
  r.add({ method: "POST", path: "/users/:id/reset", access: "admin", reauth: true, back: "/users" }, (c) => {
    const web = c.var.web;
    const id = idParam(c.req.param("id") ?? "");
    const u = id === undefined ? undefined : userById(web.db, id);
    if (!u) return usersPage(c, { error: "No such user." }, 404);
    const token = web.db.transaction(() => {
      voidPendingEnrollments(web.db, u.username, web.now());
      const t = createEnrollment(web.db, { kind: "reset", username: u.username, role: u.role, createdBy: actorOf(c), now: web.now() });
      const ended = deleteUserSessions(web.db, u.id);
      appendAudit(web.db, { at: web.now(), actor: actorOf(c), action: "user.reset_link", target: `user:${u.username}`, address: c.var.address, detail: { sessions_ended: ended } });
      return t;
    })();
    return usersPage(c, { link: enrollLink(c, token), notice: `Reset link for ${u.username}: it sets a new password and authenticator.` });
  });

  change("/users/:id/enable", (c, id) => {
    const web = c.var.web;
    const u = userById(web.db, id)!;
    if (u.disabledAt === null) return undefined;
    web.db.transaction(() => {
      setDisabled(web.db, id, null);
      appendAudit(web.db, { at: web.now(), actor: actorOf(c), action: "user.enable", target: `user:${u.username}`, address: c.var.address, detail: { before: { disabled: true }, after: { disabled: false } } });
    })();
    return undefined;
  });

  const auditRows = (c: Ctx, limit: number) => {
    const web = c.var.web;
    const q = auditQuery.safeParse(c.req.query());
    const tz = web.config.timezone;
    const raw = q.success ? q.data : {};
    const filters: AuditFilters = { actor: raw.actor ?? "", action: raw.action ?? "", from: raw.from ?? "", to: raw.to ?? "" };
    const day = 86_400_000;
    // An invalid filter shows nothing rather than everything (the page answers 400 and says why).
    const rows = !q.success ? [] : queryAudit(web.db, {
      ...(filters.actor ? { actor: filters.actor } : {}),
      ...(filters.action ? { actionPrefix: filters.action } : {}),
      ...(filters.from ? { from: instantAt(filters.from, 0, 0, tz) } : {}),
      ...(filters.to ? { to: instantAt(filters.to, 0, 0, tz) + day } : {}),
      limit,
    });
    return { filters, rows, valid: q.success };
  };

  r.add({ method: "GET", path: "/audit", access: "admin" }, (c) => {
    const web = c.var.web;
    const { filters, rows, valid } = auditRows(c, 500);
    // How far the background verification has got, said honestly while it runs.
    const v = auditChain(web.db).status();
    const verify = { ok: v.ok, text: describeAuditChain(v) };
    const qs = new URLSearchParams(Object.entries(filters).filter(([, x]) => x) as [string, string][]).toString();
    const view = rows.map(auditRowView);
    return respond(
      c,
      {
        page: () => <AuditPage site={web.config.site} viewer={viewerOf(c)} tz={web.config.timezone} rows={view} filters={filters} verify={verify} csvHref={`/audit.csv${qs ? `?${qs}` : ""}`} />,
        fragment: () => <AuditTable rows={view} tz={web.config.timezone} />,
      },
      valid ? 200 : 400,
    );
  });

  r.add({ method: "GET", path: "/audit.csv", access: "admin" }, (c) => {
    const web = c.var.web;
    const { rows, valid } = auditRows(c, 100_000);
    if (!valid) return c.text("Invalid filter: dates are YYYY-MM-DD calendar days; actor and action at most 64 characters.", 400);
    appendAudit(web.db, { at: web.now(), actor: actorOf(c), action: "audit.export", address: c.var.address, detail: { rows: rows.length } });
    return c.body(auditCsv(rows), 200, { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="gatehouse-audit.csv"' });
  });

  const settingsPage = (c: Ctx, opts: { notice?: string; error?: string } = {}) => {
    const web = c.var.web;
    let configText: string;
    try {
      configText = effectiveConfigYaml(readFileSync(web.config.file, "utf8"));
    } catch (e) {
      web.log.warn({ file: web.config.file, err: (e as Error).message }, "settings: cannot re-read the config file");
      configText = `(the file ${web.config.file} cannot be read now; the daemon runs with the configuration it loaded at start)`;
    }
    return respond(c, { page: () => <SettingsPage site={web.config.site} viewer={viewerOf(c)} configFile={web.config.file} configText={configText} channels={web.routes.map((x) => x.channel)} notice={opts.notice} error={opts.error} /> });
  };

  r.add({ method: "GET", path: "/settings", access: "admin" }, (c) => {
    const sent = c.req.query("sent");
    return settingsPage(c, sent === undefined ? {} : /^\d+$/.test(sent) && sent !== "0" ? { notice: `Test notification queued for ${sent} channel(s); see the outbox for delivery.` } : { error: "No notification channel is configured." });
  });

  r.add({ method: "POST", path: "/settings/test-notification", access: "admin" }, (c) => {
    const web = c.var.web;
    const now = web.now();
    const ids = web.db.transaction(() => {
      const out = enqueue(web.db, { site: web.config.site, routes: web.routes, now }, "test", [
        { alertId: null, severity: "info", source: "gatehouse", rule: "gatehouse.test", subject: "", message: `test notification requested by ${c.var.auth!.user.username}`, since: now },
      ]);
      appendAudit(web.db, { at: now, actor: actorOf(c), action: "notify.test", address: c.var.address, detail: { channels: web.routes.map((x) => x.channel), queued: out.length } });
      return out;
    })();
    if (ids.length) web.onEnqueued();
    return c.redirect(`/settings?sent=${ids.length}`, 303);
  });
}
