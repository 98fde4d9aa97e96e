/**
 * The commented starter config `gatehouse init` writes. It must pass `config check` as written
 * (a test holds it to that).
 */
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
  firewall: { schedule: "*/5 * * * *", backend: auto }
  # wifi:     { ssids: ["OfficeStaff"], bssids: [], require_hidden: true, min_security: wpa2 }
  # patches:  { max_pending_security_days: 7, reboot_required: fail }
  # backups:  [ { name: nightly, path: /srv/backup, max_age: 26h } ]
  # antivirus: { max_signature_age: 3d }
  # accounts:  { max_password_age_days: 180, sudo_allow: [alice] }
  # tls:       { endpoints: ["messaging.example.org:443"], warn_days: 21,
  #              cert_files: ["<data_dir>/tls/console.crt"] }   # the console's own certificate

alerts:
  renotify_after: 4h
  # email:
  #   smtp: { host: smtp.example.org, port: 587, require_tls: true, user: alerts, password_file: /etc/gatehouse/smtp.pass }
  #   from: "gatehouse@example.org"
  #   to: ["it@example.org"]
`;
}
