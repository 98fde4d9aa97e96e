/** Sign-in, one-time link enrollment, recovery codes, re-authentication, and plain messages. */
import type { FC } from "hono/jsx";
import { Notice } from "../components/format.js";
import { Layout, type Viewer } from "../layouts/console.js";

export const LoginPage: FC<{ site: string; error?: string | undefined; username?: string; next?: string; notice?: string | undefined }> = ({ site, error, username, next, notice }) => (
  <Layout title="Sign in" site={site}>
    <Notice kind="info" text={notice} />
    <Notice kind="error" text={error} id="login-error" />
    <form method="post" action="/login" class="stack narrow" id="login-form">
      <input type="hidden" name="next" value={next ?? "/"} />
      <label for="username">User name</label>
      <input id="username" name="username" autocomplete="username" required maxlength={64} value={username ?? ""} autofocus />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required maxlength={128} />
      <label for="code">Code from your authenticator app (or a recovery code)</label>
      <input id="code" name="code" autocomplete="one-time-code" inputmode="text" required maxlength={40} />
      <button type="submit">Sign in</button>
    </form>
  </Layout>
);

export interface EnrollView {
  token: string;
  kind: "setup" | "enroll" | "reset";
  username: string | null;
  role: string;
  secret: string;
  error?: string | undefined;
}

/** One page for the whole enrollment: user name (first admin), password, and TOTP with its QR code. */
export const EnrollPage: FC<{ site: string; e: EnrollView }> = ({ site, e }) => (
  <Layout title={e.kind === "setup" ? "Create the first administrator" : e.kind === "reset" ? "Reset your password and authenticator" : "Set up your account"} site={site}>
    <Notice kind="error" text={e.error} id="enroll-error" />
    <form method="post" action={`/enroll/${e.token}`} class="stack narrow" id="enroll-form">
      {e.username ? (
        <p>
          Account <strong>{e.username}</strong>, role <strong>{e.role}</strong>.
        </p>
      ) : (
        <>
          <label for="username">User name (lower-case letters, digits, . _ -)</label>
          <input id="username" name="username" autocomplete="username" required maxlength={64} pattern="[a-z0-9][a-z0-9._\-]{0,63}" />
        </>
      )}
      <label for="password">New password (12 to 128 characters)</label>
      <input id="password" name="password" type="password" autocomplete="new-password" required minlength={12} maxlength={128} />
      <label for="password2">Repeat the password</label>
      <input id="password2" name="password2" type="password" autocomplete="new-password" required minlength={12} maxlength={128} />
      <fieldset>
        <legend>Two-factor authentication</legend>
        <p>Scan this code with an authenticator app (or type the key by hand), then enter the 6-digit code it shows.</p>
        <img src={`/enroll/${e.token}/qr.svg`} alt="QR code for your authenticator app" width="200" height="200" class="qr" />
        <p>
          Key: <code id="totp-secret">{e.secret}</code>
        </p>
        <label for="code">6-digit code</label>
        <input id="code" name="code" autocomplete="one-time-code" inputmode="numeric" required pattern="[0-9]{6}" maxlength={6} />
      </fieldset>
      <button type="submit">{e.kind === "reset" ? "Save" : "Create account"}</button>
    </form>
  </Layout>
);

/** Recovery codes, shown exactly once. */
export const RecoveryCodesPage: FC<{ site: string; username: string; codes: string[]; viewer?: Viewer | undefined }> = ({ site, username, codes, viewer }) => (
  <Layout title="Your recovery codes" site={site} viewer={viewer}>
    <p>
      Account <strong>{username}</strong> is ready. Keep these recovery codes somewhere safe: each one signs you in once if you lose your
      authenticator. They are not shown again.
    </p>
    <ul id="recovery-codes" class="codes">
      {codes.map((c) => (
        <li>
          <code>{c}</code>
        </li>
      ))}
    </ul>
    <p>
      <a href={viewer ? "/account" : "/login"}>{viewer ? "Back to my account" : "Sign in"}</a>
    </p>
  </Layout>
);

export const ReauthPage: FC<{ site: string; viewer: Viewer; next: string; error?: string | undefined }> = ({ site, viewer, next, error }) => (
  <Layout title="Confirm it is you" site={site} viewer={viewer}>
    <p>Changing passwords, two-factor settings or users needs your password and a fresh code.</p>
    <Notice kind="error" text={error} />
    <form method="post" action="/reauth" class="stack narrow" id="reauth-form">
      <input type="hidden" name="next" value={next} />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required maxlength={128} />
      <label for="code">Code from your authenticator app</label>
      <input id="code" name="code" autocomplete="one-time-code" required maxlength={40} />
      <button type="submit">Confirm</button>
    </form>
  </Layout>
);

/** Any plain message: refusals, expired links, not found. */
export const MessagePage: FC<{ site: string; title: string; text: string; viewer?: Viewer | undefined; link?: { href: string; label: string } }> = ({ site, title, text, viewer, link }) => (
  <Layout title={title} site={site} viewer={viewer}>
    <p id="message">{text}</p>
    {link ? (
      <p>
        <a href={link.href}>{link.label}</a>
      </p>
    ) : null}
  </Layout>
);
