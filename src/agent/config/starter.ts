/**
 * The commented starter config `gatehouse init` writes. It must pass `config check` as written
 * (a test holds it to that). The `monitors:` lines are the ones each monitor declares.
 */
import { MONITORS } from "../../monitors/index.js";

/** Each monitor's declared line, indented. */
function monitorLines(): string {
  return MONITORS.map((m) => `  ${m.starter}`).join("\n");
}

export function starterConfig(o: { site: string; dataDir: string }): string {
  return `# Gatehouse configuration. Validate after editing: gatehouse config check
# Secrets are never written here: *_file keys point at files readable only by gatehouse.

site: ${JSON.stringify(o.site)}
timezone: UTC                     # IANA zone of the office, e.g. America/Phoenix
data_dir: ${JSON.stringify(o.dataDir)}

console:
  listen: "127.0.0.1:8443"        # "0.0.0.0:8443" to reach it from the office network
  tls: auto                       # auto = self-signed on first start; or { cert: FILE, key: FILE }

retention:
  observations: 90d
  door_events: 400d

# Every monitor is on with its defaults unless listed with "enabled: false".
monitors:
${monitorLines()}

# Office computers reporting through osquery (off until this section is set):
# hosts: { enroll_secret_file: /etc/gatehouse/osquery.secret, offline_after: 3d, allowed_admins: [itadmin] }

alerts:
  renotify_after: 4h
  # email:
  #   smtp: { host: smtp.example.org, port: 587, require_tls: true, user: alerts, password_file: /etc/gatehouse/smtp.pass }
  #   from: "gatehouse@example.org"
  #   to: ["it@example.org"]
`;
}
