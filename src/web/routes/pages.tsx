/** Overview, monitor detail (with baseline approval), alerts and silences, doors. */
import { z } from "zod";
import { addSilence, endSilence, listSilences, SilenceError } from "../../agent/alerts/silences.js";
import { approveBaseline } from "../../agent/baseline.js";
import { declareOnsite, OnsiteError, parseUntil } from "../../agent/doors/onsite.js";
import { activeOnsite, listDoorStates, recentDoorEvents } from "../../agent/store/doors.js";
import { driftFindings, worstStatus } from "../../agent/evaluator.js";
import { getBaseline } from "../../agent/store/baselines.js";
import { currentFindings } from "../../agent/store/findings.js";
import { latestObservation, recentObservations } from "../../agent/store/observations.js";
import { countUsers } from "../auth/store.js";
import type { Ctx } from "../context.js";
import { doorOpeningsByDay, listAlerts, overviewProps, siteDays, statusByDay } from "../data.js";
import { fillSlot, overviewShellHtml, overviewTilesHtml } from "../overview-cache.js";
import { DoorChart, StatusStrip } from "../../../views/components/charts.js";
import { ackAlert, AlertActionError, getAlert } from "../../agent/alerts/manage.js";
import { idParam, readForm, text } from "../forms.js";
import { isFragmentRequest, respond } from "../render.js";
import type { Routes } from "./table.js";
import { AlertsList } from "../../../views/fragments/alerts-list.js";
import { OverviewTiles } from "../../../views/fragments/overview-tiles.js";
import { AlertsPage } from "../../../views/pages/alerts.js";
import { DoorsLive, DoorsPage, type SensorView } from "../../../views/pages/doors.js";
import { MessagePage } from "../../../views/pages/auth.js";
import { MonitorLive, MonitorPage, type MonitorView } from "../../../views/pages/monitor.js";
import { MonitorsPage } from "../../../views/pages/monitors.js";
import { OverviewPage } from "../../../views/pages/overview.js";

const REFRESH_SECONDS = 15;

// Where the page shell (per viewer) takes the cached tiles: an element, so no escaped text can fake it.
const TILES_SLOT_ELEMENT = <slot name="overview-tiles" />;
const TILES_SLOT = String(TILES_SLOT_ELEMENT);
const APPROVED = "Baseline approved. The monitor runs again now.";
const viewerOf = (c: Ctx) => ({ username: c.var.auth!.user.username, role: c.var.auth!.user.role });
const actorOf = (c: Ctx) => `user:${c.var.auth!.user.username}`;
const atLeast = (c: Ctx, role: "manager" | "admin") => (role === "admin" ? c.var.auth!.user.role === "admin" : c.var.auth!.user.role !== "viewer");

const notFound = (c: Ctx, what: string) => respond(c, { page: () => <MessagePage site={c.var.web.config.site} viewer={viewerOf(c)} title="Not found" text={`No such ${what}.`} /> }, 404);

function monitorView(c: Ctx, id: string, extra: { notice?: string; error?: string } = {}): MonitorView | undefined {
  const web = c.var.web;
  const setting = web.config.monitors.find((m) => m.monitor.id === id);
  if (!setting) return undefined;
  const m = setting.monitor;
  const last = latestObservation(web.db, id);
  const baseline = getBaseline(web.db, id);
  const fresh = last && last.outcome === "ok" ? driftFindings(m, last.facts, baseline?.facts) : undefined;
  const drift = fresh && baseline ? fresh.filter((f) => f.change) : [];
  // Drift findings follow from the latest facts and the approved baseline alone, so they are
  // worked out here: right after an approval the page tells the truth before the monitor re-runs.
  const stored = currentFindings(web.db, id).map((f) => ({ rule: f.rule, subject: f.subject, status: f.status, message: f.message, since: f.since, kind: f.kind }));
  const findings = fresh
    ? [
        ...stored.filter((f) => f.kind !== "drift"),
        ...fresh.filter((f) => f.status !== "pass").map((f) => stored.find((s) => s.rule === f.rule && s.subject === (f.subject ?? "") && s.status === f.status) ?? { rule: f.rule, subject: f.subject ?? "", status: f.status, message: f.message, since: web.now(), kind: f.kind }),
      ]
    : stored;
  return {
    id,
    title: m.title,
    control: m.control,
    status: last ? (last.outcome === "ok" ? worstStatus(findings.map((f) => f.status)) : last.status) : "unknown",
    checkedAt: last?.startedAt,
    outcome: last?.outcome,
    error: last?.error,
    findings,
    facts: Object.entries(last?.facts ?? {}).sort(([a], [b]) => a.localeCompare(b)),
    evidence: last?.evidence ?? "",
    history: recentObservations(web.db, id, 30).map((o) => ({ at: o.startedAt, status: o.status, outcome: o.outcome, durationMs: o.durationMs })),
    baseline: baseline && { approvedAt: baseline.approvedAt, approvedBy: baseline.approvedBy, reason: baseline.reason },
    tracksBaseline: m.baselineFacts.length > 0,
    drift: drift.map((f) => ({ fact: f.change!.fact, before: f.change!.before, after: f.change!.after, added: f.change!.added ?? [], removed: f.change!.removed ?? [] })),
    canApprove: atLeast(c, "admin"),
    notice: extra.notice,
    error2: extra.error,
  };
}

const ackForm = z.object({ note: text(500) });
const silenceForm = z.object({ match: text(200, 1), hours: z.string().regex(/^\d{1,4}$/, { message: "a whole number of hours" }).transform(Number), reason: text(500, 1) });
const onsiteForm = z.object({ until: text(20, 1), reason: text(500, 1) });
const baselineForm = z.object({ reason: text(500, 1) });

export function pageRoutes(r: Routes): void {
  r.add({ method: "GET", path: "/", access: "viewer" }, (c) => {
    const web = c.var.web;
    const tiles = overviewTilesHtml(web, (now, audit) => {
      const props = overviewProps(web.db, web.config, { users: countUsers(web.db), audit, https: web.https }, now);
      return String(<OverviewTiles {...props} tz={web.config.timezone} refreshSeconds={REFRESH_SECONDS} />);
    });
    return respond(c, {
      page: () => {
        const viewer = viewerOf(c);
        const shell = overviewShellHtml(web, viewer, () => String(<OverviewPage site={web.config.site} viewer={viewer} tz={web.config.timezone} refreshSeconds={REFRESH_SECONDS}>{TILES_SLOT_ELEMENT}</OverviewPage>));
        return fillSlot(shell, TILES_SLOT, tiles);
      },
      fragment: () => tiles,
    });
  });

  r.add({ method: "GET", path: "/monitors/:id", access: "viewer" }, (c) => {
    const web = c.var.web;
    const m = monitorView(c, (c.req.param("id") ?? ""), c.req.query("approved") ? { notice: APPROVED } : {});
    if (!m) return notFound(c, "monitor");
    const strip = <StatusStrip id="status-strip" title={`${m.title}, last 30 days`} days={statusByDay(web.db, m.id, siteDays(web.now(), web.config.timezone, 30))} />;
    return respond(c, { page: () => <MonitorPage site={web.config.site} viewer={viewerOf(c)} m={m} tz={web.config.timezone} strip={strip} />, fragment: () => <MonitorLive m={m} tz={web.config.timezone} /> });
  });

  r.add({ method: "GET", path: "/monitors", access: "viewer" }, (c) => {
    const web = c.var.web;
    const monitors = web.config.monitors.map(({ monitor: m }) => {
      const last = latestObservation(web.db, m.id);
      return { id: m.id, title: m.title, control: m.control, status: last?.status ?? ("unknown" as const), checkedAt: last?.startedAt, notApplicable: last?.outcome === "not_applicable" };
    });
    return respond(c, { page: () => <MonitorsPage site={web.config.site} viewer={viewerOf(c)} tz={web.config.timezone} monitors={monitors} /> });
  });

  r.add({ method: "POST", path: "/monitors/:id/baseline", access: "admin" }, async (c) => {
    const web = c.var.web;
    const id = (c.req.param("id") ?? "");
    const setting = web.config.monitors.find((m) => m.monitor.id === id);
    if (!setting) return notFound(c, "monitor");
    const again = (error: string, status: 400 | 409) => {
      const m = monitorView(c, id, { error })!;
      return respond(c, { page: () => <MonitorPage site={web.config.site} viewer={viewerOf(c)} m={m} tz={web.config.timezone} />, fragment: () => <MonitorLive m={m} tz={web.config.timezone} /> }, status);
    };
    const f = await readForm(c, baselineForm);
    if (!f.ok) return again(`A reason is required (${f.message}).`, 400);
    const last = latestObservation(web.db, id);
    if (!last || last.outcome !== "ok") return again("There is no successful observation to approve yet.", 409);
    approveBaseline(web.db, setting.monitor, last.facts, { actor: actorOf(c), reason: f.data.reason, address: c.var.address, now: web.now() });
    web.runNow?.(id);
    if (isFragmentRequest(c)) return respond(c, { page: () => null, fragment: () => <MonitorLive m={monitorView(c, id, { notice: APPROVED })!} tz={web.config.timezone} /> });
    return c.redirect(`/monitors/${encodeURIComponent(id)}?approved=1`, 303);
  });

  const alertsPage = (c: Ctx, error?: string, status: 200 | 400 | 409 = 200) => {
    const web = c.var.web;
    const tz = web.config.timezone;
    const alerts = listAlerts(web.db);
    const canAck = atLeast(c, "manager");
    return respond(
      c,
      {
        page: () => (
          <AlertsPage
            site={web.config.site}
            viewer={viewerOf(c)}
            tz={tz}
            alerts={alerts}
            silences={listSilences(web.db, { now: web.now() }).map((s) => ({ id: s.id, match: s.match, reason: s.reason, createdBy: s.createdBy, expiresAt: s.expiresAt }))}
            canAck={canAck}
            canSilence={atLeast(c, "admin")}
            error={error}
          />
        ),
        fragment: () => <AlertsList alerts={alerts} tz={tz} canAck={canAck} />,
      },
      status,
    );
  };

  r.add({ method: "GET", path: "/alerts", access: "viewer" }, (c) => alertsPage(c));

  r.add({ method: "POST", path: "/alerts/:id/ack", access: "manager" }, async (c) => {
    const web = c.var.web;
    const id = idParam(c.req.param("id") ?? "");
    if (id === undefined || !getAlert(web.db, id)) return notFound(c, "alert");
    const f = await readForm(c, ackForm);
    if (!f.ok) return alertsPage(c, f.message, 400);
    try {
      ackAlert(web.db, id, { actor: actorOf(c), note: f.data.note, address: c.var.address, now: web.now() });
    } catch (e) {
      if (e instanceof AlertActionError) return alertsPage(c, e.message, getAlert(web.db, id)?.state === "firing" ? 400 : 409);
      throw e;
    }
    if (c.req.header("HX-Request") === "true") return alertsPage(c);
    return c.redirect("/alerts", 303);
  });

  r.add({ method: "POST", path: "/silences", access: "admin" }, async (c) => {
    const web = c.var.web;
    const f = await readForm(c, silenceForm);
    if (!f.ok) return alertsPage(c, f.message, 400);
    try {
      addSilence(web.db, { match: f.data.match, forMs: f.data.hours * 3_600_000, reason: f.data.reason, actor: actorOf(c), now: web.now(), address: c.var.address });
    } catch (e) {
      if (e instanceof SilenceError) return alertsPage(c, e.message, 400);
      throw e;
    }
    return c.redirect("/alerts", 303);
  });

  r.add({ method: "POST", path: "/silences/:id/end", access: "admin" }, (c) => {
    const web = c.var.web;
    const id = idParam((c.req.param("id") ?? ""));
    if (id === undefined || !endSilence(web.db, id, { actor: actorOf(c), now: web.now(), address: c.var.address })) return notFound(c, "active silence");
    return c.redirect("/alerts", 303);
  });

  const doorsPage = (c: Ctx, opts: { error?: string; notice?: string } = {}, status: 200 | 400 = 200) => {
    const web = c.var.web;
    const states = new Map(listDoorStates(web.db).map((s) => [s.sensorId, s]));
    const names = new Map<string, string>();
    const sensors: SensorView[] = web.config.doors.sensors.map((s) => {
      const st = states.get(s.id);
      const name = (s as { name?: string }).name ?? s.id;
      names.set(s.id, name);
      return { id: s.id, name, state: st?.state ?? "unknown", since: st?.since ?? null, lastSeenAt: st?.lastSeenAt ?? null, online: st?.online ?? true };
    });
    const events = recentDoorEvents(web.db, { limit: 100 }).map((e) => ({ at: e.receivedAt, sensor: names.get(e.sensorId) ?? e.sensorId, state: e.state ?? null, outcome: e.outcome }));
    const on = activeOnsite(web.db, web.now());
    return respond(
      c,
      {
        page: () => (
          <DoorsPage
            site={web.config.site}
            viewer={viewerOf(c)}
            tz={web.config.timezone}
            sensors={sensors}
            events={events}
            onsite={on && { until: on.untilAt, declaredBy: on.declaredBy, reason: on.reason }}
            canDeclare={atLeast(c, "manager")}
            chart={web.config.doors.sensors.length ? <DoorChart id="door-chart" days={doorOpeningsByDay(web.db, siteDays(web.now(), web.config.timezone, 30))} /> : null}
            error={opts.error}
            notice={opts.notice}
          />
        ),
        fragment: () => <DoorsLive sensors={sensors} events={events} tz={web.config.timezone} />,
      },
      status,
    );
  };

  r.add({ method: "GET", path: "/doors", access: "viewer" }, (c) => doorsPage(c, c.req.query("declared") ? { notice: "Declaration recorded." } : {}));

  r.add({ method: "POST", path: "/doors/onsite", access: "manager" }, async (c) => {
    const web = c.var.web;
    const f = await readForm(c, onsiteForm);
    if (!f.ok) return doorsPage(c, { error: f.message }, 400);
    try {
      const now = web.now();
      const untilAt = parseUntil(f.data.until, now, web.config.timezone);
      declareOnsite(web.db, { untilAt, declaredBy: c.var.auth!.user.username, reason: f.data.reason, actor: actorOf(c), address: c.var.address, now });
    } catch (e) {
      if (e instanceof OnsiteError) return doorsPage(c, { error: e.message.replace(/^--until:? ?/, "") }, 400);
      throw e;
    }
    return c.redirect("/doors?declared=1", 303);
  });
}
