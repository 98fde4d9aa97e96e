#!/usr/bin/env node
// A person at the console, scripted: runs inside the container's network namespace (nsenter
// --net) with the host's node, trusting only the certificate the installed daemon generated
// (NODE_EXTRA_CA_CERTS). Follows the one-time setup link, enrolls the first administrator with
// a password and TOTP, signs in with the next code, and opens the overview.
//
//   node console-client.mjs SETUP_LINK
// Prints one JSON object: { tls, enrolled, signedIn, overview, tiles }.
import { connect } from "node:tls";
import { readFileSync } from "node:fs";
import { TOTP, Secret } from "otpauth";

const [link] = process.argv.slice(2);
if (!link) {
  process.stderr.write("usage: console-client.mjs SETUP_LINK\n");
  process.exit(2);
}
const url = new URL(link);
const origin = url.origin;
const PASSWORD = "Field-Test-Horse-Battery-42";

/** The TLS session as a browser would see it: verified against the generated certificate only. */
function tlsFacts() {
  return new Promise((resolve, reject) => {
    const ca = readFileSync(process.env.NODE_EXTRA_CA_CERTS ?? "");
    const s = connect({ host: url.hostname, port: Number(url.port), ca, servername: url.hostname === "127.0.0.1" ? undefined : url.hostname }, () => {
      const cert = s.getPeerCertificate();
      resolve({ authorized: s.authorized, protocol: s.getProtocol(), cipher: s.getCipher().name, subjectaltname: cert.subjectaltname, ca: cert.ca, validTo: cert.valid_to });
      s.end();
    });
    s.on("error", reject);
  });
}

function form(fields) {
  return { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", origin, "sec-fetch-site": "same-origin" }, body: new URLSearchParams(fields).toString() };
}

const tls = await tlsFacts();
const page = await (await fetch(link)).text();
const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(page)?.[1]?.replace(/\s+/g, "");
if (!secret) throw new Error(`no TOTP key on the enrollment page:\n${page.slice(0, 2000)}`);
const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" });
const now = Date.now();
const enroll = await fetch(link, form({ username: "alice", password: PASSWORD, password2: PASSWORD, code: totp.generate({ timestamp: now }) }));
// Success shows the recovery codes once (200); a refusal re-shows the form with its reason.
const enrollPage = await enroll.text();
const recoveryCodes = /id="recovery-codes"/.test(enrollPage);
// The enrollment used this step's code; a replay is refused, so sign in with the next step's
// (the verifier accepts one step either side).
const login = await fetch(`${origin}/login`, form({ username: "alice", password: PASSWORD, code: totp.generate({ timestamp: now + 30_000 }), next: "/" }));
const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).find((c) => c.startsWith("__Host-"));
const overview = cookie ? await fetch(`${origin}/`, { headers: { cookie } }) : undefined;
const html = overview ? await overview.text() : "";
process.stdout.write(
  `${JSON.stringify({
    tls,
    enrolled: enroll.status,
    recoveryCodes,
    signedIn: login.status,
    location: login.headers.get("location"),
    overview: overview?.status ?? 0,
    tiles: (html.match(/class="tile[ "]/g) ?? []).length,
  })}\n`,
);
