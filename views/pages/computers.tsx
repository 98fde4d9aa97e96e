/** Computers: the office PCs reporting through osquery, each check rolled up, and how to enrol one. */
import type { FC } from "hono/jsx";
import type { Status } from "../../src/monitors/monitor.js";
import { Notice, StatusBadge, Time } from "../components/format.js";
import { Layout, type Viewer } from "../layouts/console.js";

export interface ComputerCheck {
  rule: string;
  title: string;
}

export interface ComputerRow {
  id: number;
  name: string;
  platform: string;
  os: string;
  osqueryVersion: string;
  lastSeenAt: number;
  enrolledAt: number;
  status: Status;
  checks: { rule: string; status: Status; message: string }[];
}

export interface RollupRow {
  rule: string;
  summary: string;
  pass: number;
  warn: number;
  fail: number;
  unknown: number;
}

export interface EnrolmentView {
  /** host:port for --tls_hostname; undefined when console.public_url is needed first. */
  tlsHostname: string | undefined;
  /** SHA-256 fingerprint of the pinned console certificate, undefined when it cannot be read. */
  certFingerprint: string | undefined;
  /** When the pinned certificate expires: computers need the new one after a renewal. */
  certExpires: number | undefined;
  /** The name osquery will check that the certificate does not cover, if any. */
  certMismatch: string | undefined;
  flags: { platform: string; label: string; text: string; dir: string }[];
  secretFile: string;
}

export interface ComputersProps {
  site: string;
  viewer: Viewer;
  tz: string;
  enabled: boolean;
  checks: ComputerCheck[];
  rollup: RollupRow[];
  computers: ComputerRow[];
  enrolment: EnrolmentView | undefined;
  /** Admins may forget a computer (sold, replaced). */
  canForget: boolean;
  notice?: string | undefined;
}

/** The rollup and the list, refreshed by htmx from the same URL. */
export const ComputersLive: FC<Omit<ComputersProps, "site" | "viewer" | "enrolment" | "enabled" | "notice">> = (p) => (
  <div id="computers-live" hx-get="/computers" hx-trigger="every 30s" hx-swap="outerHTML" aria-live="polite">
    <section aria-labelledby="rollup-h">
      <h2 id="rollup-h">Across the office</h2>
      <ul class="rollup">
        {p.rollup.map((r) => (
          <li id={`rollup-${r.rule.replace(/\W/g, "-")}`}>
            {r.summary}
            {r.fail > 0 ? `, ${r.fail} failing` : ""}
            {r.warn > 0 ? `, ${r.warn} warning` : ""}
            {r.unknown > 0 ? `, ${r.unknown} unknown` : ""}
          </li>
        ))}
      </ul>
    </section>
    <section aria-labelledby="computers-h">
      <h2 id="computers-h">Computers</h2>
      {p.computers.length === 0 ? (
        <p>No computer has enrolled yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Computer</th>
              <th scope="col">State</th>
              <th scope="col">Last check-in</th>
              <th scope="col">System</th>
              {p.checks.map((c) => (
                <th scope="col">{c.title}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {p.computers.map((h) => (
              <tr id={`computer-${h.id}`}>
                <th scope="row">
                  {h.name}
                  {p.canForget ? (
                    <form method="post" action={`/computers/${h.id}/forget`} class="inline">
                      <button type="submit" aria-label={`Forget ${h.name}`}>
                        Forget
                      </button>
                    </form>
                  ) : null}
                </th>
                <td>
                  <StatusBadge status={h.status} />
                </td>
                <td>
                  <Time ms={h.lastSeenAt} tz={p.tz} />
                </td>
                <td>
                  {h.os || h.platform || "unknown"}
                  <br />
                  <span class="hint">osquery {h.osqueryVersion || "?"}</span>
                </td>
                {h.checks.map((c) => (
                  <td title={c.message}>
                    <StatusBadge status={c.status} />
                    <span class="hint"> {c.message}</span>
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  </div>
);

const Enrolment: FC<{ e: EnrolmentView; tz: string }> = ({ e, tz }) => (
  <section aria-labelledby="enrol-h" id="enrolment">
    <h2 id="enrol-h">Enrol a computer</h2>
    <ol>
      <li>
        Install osquery 5 from <code>osquery.io/downloads</code> (Windows MSI, macOS pkg, Debian/RPM package).
      </li>
      <li>
        Copy the console certificate (<a href="/computers/gatehouse.pem">gatehouse.pem</a>
        {e.certFingerprint ? (
          <>
            , SHA-256 <code>{e.certFingerprint}</code>
          </>
        ) : null}
        ) to the computer: osquery will trust this certificate only.
        {e.certExpires ? (
          <>
            {" "}
            It expires <Time ms={e.certExpires} tz={tz} />; when the console renews it, copy the new one to every computer.
          </>
        ) : null}
      </li>
      <li>
        Copy the enroll secret from <code>{e.secretFile}</code> on the Gatehouse server as <code>gatehouse.secret</code>, readable by administrators only. It is
        never shown here.
      </li>
      <li>Save the flags file below for the computer's system and start the osqueryd service with <code>--flagfile</code> pointing at it.</li>
    </ol>
    {e.tlsHostname ? null : <Notice kind="error" text="Set console.public_url (the name computers use to reach Gatehouse) so the flags file can name the server." />}
    {e.certMismatch ? (
      <Notice
        kind="error"
        text={`The console certificate does not name ${e.certMismatch}: osquery will refuse it. Set console.public_url to a name the certificate covers (this machine's host name), or use console.tls with a certificate for ${e.certMismatch}.`}
      />
    ) : null}
    {e.flags.map((f) => (
      <details>
        <summary>
          {f.label} (files in <code>{f.dir}</code>) — <a href={`/computers/osquery.flags?platform=${f.platform}`}>download</a>
        </summary>
        <pre>{f.text}</pre>
      </details>
    ))}
  </section>
);

export const ComputersPage: FC<ComputersProps> = (p) => (
  <Layout title="Computers" site={p.site} viewer={p.viewer} current="/computers">
    {p.enabled ? (
      <>
        <Notice kind="ok" text={p.notice} />
        <p class="hint">Office computers reporting through osquery. A computer silent longer than the configured limit raises an alert; forget one that left the office.</p>
        <ComputersLive tz={p.tz} checks={p.checks} rollup={p.rollup} computers={p.computers} canForget={p.canForget} />
        {p.enrolment ? <Enrolment e={p.enrolment} tz={p.tz} /> : null}
      </>
    ) : (
      <p>
        Computers are not watched yet: add a <code>hosts:</code> section with <code>enroll_secret_file</code> to the configuration (see the hosts README).
      </p>
    )}
  </Layout>
);
