/** Admin pages: users, audit log, settings; and each user's own account page. */
import type { FC } from "hono/jsx";
import { Notice, ScrollBox, Time } from "../components/format.js";
import { Layout, type Viewer } from "../layouts/console.js";

export interface UserView {
  id: number;
  username: string;
  role: string;
  createdAt: number;
  createdBy: string;
  disabled: boolean;
  sessions: number;
}

export const UsersPage: FC<{ site: string; viewer: Viewer; tz: string; users: UserView[]; link?: string | undefined; error?: string | undefined; notice?: string | undefined }> = (p) => (
  <Layout title="Users" site={p.site} viewer={p.viewer} current="/users">
    <Notice kind="error" text={p.error} />
    <Notice kind="ok" text={p.notice} />
    {p.link ? (
      <p class="notice notice-ok" role="status" id="enroll-link">
        Give this one-time link (valid 24 hours) to the user: <code>{p.link}</code>
      </p>
    ) : null}
    <table id="users">
      <thead>
        <tr>
          <th scope="col">User</th>
          <th scope="col">Role</th>
          <th scope="col">Created</th>
          <th scope="col">Sessions</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {p.users.map((u) => (
          <tr id={`user-${u.id}`}>
            <th scope="row">
              {u.username}
              {u.disabled ? " (disabled)" : ""}
            </th>
            <td>{u.role}</td>
            <td>
              <Time ms={u.createdAt} tz={p.tz} /> by {u.createdBy}
            </td>
            <td>{u.sessions}</td>
            <td>
              <form method="post" action={`/users/${u.id}/role`} class="inline">
                <label for={`role-${u.id}`}>Role</label>
                <select id={`role-${u.id}`} name="role">
                  {["admin", "manager", "viewer"].map((r) => (
                    <option value={r} selected={r === u.role}>
                      {r}
                    </option>
                  ))}
                </select>
                <button type="submit">Change role</button>
              </form>
              <form method="post" action={`/users/${u.id}/${u.disabled ? "enable" : "disable"}`} class="inline">
                <button type="submit">{u.disabled ? "Enable" : "Disable"}</button>
              </form>
              <form method="post" action={`/users/${u.id}/reset`} class="inline">
                <button type="submit">Reset password and 2FA</button>
              </form>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
    <form method="post" action="/users" class="stack narrow" id="add-user-form">
      <h2>Add a user</h2>
      <label for="new-username">User name</label>
      <input id="new-username" name="username" required maxlength={64} pattern="[a-z0-9][a-z0-9._\-]{0,63}" />
      <label for="new-role">Role</label>
      <select id="new-role" name="role">
        <option value="viewer">viewer (read only)</option>
        <option value="manager">manager (acknowledge alerts, on-site declarations)</option>
        <option value="admin">admin (users, baselines, silences, settings)</option>
      </select>
      <button type="submit">Create enrollment link</button>
    </form>
  </Layout>
);

export interface AuditRowView {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string;
  detail: string;
  address: string;
}

export interface AuditFilters {
  actor: string;
  action: string;
  from: string;
  to: string;
}

export const AuditTable: FC<{ rows: AuditRowView[]; tz: string }> = ({ rows, tz }) => (
  <ScrollBox label="Audit entries">
  <table id="audit-table">
    <thead>
      <tr>
        <th scope="col">#</th>
        <th scope="col">When</th>
        <th scope="col">Who</th>
        <th scope="col">From</th>
        <th scope="col">Action</th>
        <th scope="col">Target</th>
        <th scope="col">Detail</th>
      </tr>
    </thead>
    <tbody>
      {rows.map((r) => (
        <tr>
          <td>{r.id}</td>
          <td>
            <Time ms={r.at} tz={tz} />
          </td>
          <td>{r.actor}</td>
          <td>{r.address}</td>
          <td>
            <code>{r.action}</code>
          </td>
          <td>{r.target}</td>
          <td class="detail">{r.detail}</td>
        </tr>
      ))}
    </tbody>
  </table>
  </ScrollBox>
);

export const AuditPage: FC<{ site: string; viewer: Viewer; tz: string; rows: AuditRowView[]; filters: AuditFilters; verify: { ok: boolean; text: string }; csvHref: string }> = (p) => (
  <Layout title="Audit log" site={p.site} viewer={p.viewer} current="/audit">
    <p id="audit-verify" class={p.verify.ok ? "notice notice-ok" : "notice notice-error"} role="status">
      {p.verify.text}
    </p>
    <form method="get" action="/audit" class="filters" id="audit-filters">
      <label for="f-actor">Who</label>
      <input id="f-actor" name="actor" value={p.filters.actor} maxlength={64} />
      <label for="f-action">Action starts with</label>
      <input id="f-action" name="action" value={p.filters.action} maxlength={64} />
      <label for="f-from">From (date)</label>
      <input id="f-from" name="from" type="date" value={p.filters.from} />
      <label for="f-to">To (date)</label>
      <input id="f-to" name="to" type="date" value={p.filters.to} />
      <button type="submit">Filter</button>
    </form>
    <p>
      <a href={p.csvHref} download="gatehouse-audit.csv">
        Export these rows as CSV
      </a>
    </p>
    <AuditTable rows={p.rows} tz={p.tz} />
  </Layout>
);

export const SettingsPage: FC<{ site: string; viewer: Viewer; configFile: string; configText: string; channels: string[]; notice?: string | undefined; error?: string | undefined }> = (p) => (
  <Layout title="Settings" site={p.site} viewer={p.viewer} current="/settings">
    <Notice kind="ok" text={p.notice} />
    <Notice kind="error" text={p.error} />
    <section aria-labelledby="notify-h">
      <h2 id="notify-h">Notifications</h2>
      <p>Channels: {p.channels.length ? p.channels.join(", ") : "none configured"}</p>
      <form method="post" action="/settings/test-notification" id="test-notification-form">
        <button type="submit">Send test notification</button>
      </form>
    </section>
    <section aria-labelledby="config-h">
      <h2 id="config-h">Configuration</h2>
      <p>
        <code>{p.configFile}</code>, as written. Secrets are never in the file (they are read from <code>*_file</code> paths); anything that looks secret is masked here too. Edit the file and
        restart to change it.
      </p>
      <pre id="effective-config">{p.configText}</pre>
    </section>
  </Layout>
);

export const AccountPage: FC<{ site: string; viewer: Viewer; tz: string; passwordChangedAt: number; recoveryLeft: number; mustChange: boolean; error?: string | undefined; notice?: string | undefined }> = (p) => (
  <Layout title="My account" site={p.site} viewer={p.viewer} current="/account">
    <Notice kind="error" text={p.mustChange ? "Your password is older than the policy allows: choose a new one." : undefined} />
    <Notice kind="error" text={p.error} />
    <Notice kind="ok" text={p.notice} />
    <p>
      Password last changed <Time ms={p.passwordChangedAt} tz={p.tz} />. Unused recovery codes: {p.recoveryLeft}.
    </p>
    <form method="post" action="/account/password" class="stack narrow" id="password-form">
      <h2>Change password</h2>
      <label for="current-password">Current password</label>
      <input id="current-password" name="current" type="password" autocomplete="current-password" required maxlength={1024} />
      <label for="new-password">New password (12 to 128 characters)</label>
      <input id="new-password" name="password" type="password" autocomplete="new-password" required minlength={12} maxlength={128} />
      <label for="new-password2">Repeat it</label>
      <input id="new-password2" name="password2" type="password" autocomplete="new-password" required minlength={12} maxlength={128} />
      <button type="submit">Change password</button>
    </form>
    <form method="post" action="/account/recovery-codes" class="stack narrow" id="recovery-form">
      <h2>Recovery codes</h2>
      <p>New codes replace all old ones.</p>
      <button type="submit">Make new recovery codes</button>
    </form>
  </Layout>
);
