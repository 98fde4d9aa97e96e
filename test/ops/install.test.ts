/**
 * systemd/install.sh and uninstall.sh against a temporary root, checked file by file (owners,
 * modes, units, users), then run again (idempotent), then uninstalled (data kept) and purged.
 * Needs the build (`npm test` builds first) and root.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, appendFileSync, readdirSync } from "node:fs";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../src/kit/exec.js";
import { openStore } from "../../src/agent/store/db.js";
import { canRun } from "../helpers/require-tool.js";

const REPO = resolve(import.meta.dirname, "../..");
const built = existsSync(join(REPO, "dist/src/cli.js")) && existsSync(join(REPO, "dist/src/probe/main.js"));
if (!built && process.env.CI === "true") throw new Error("CI=true and dist/ is missing: npm test builds before running the tests");

function passwd(root: string, name: string): string[] | undefined {
  return readFileSync(join(root, "etc/passwd"), "utf8")
    .split("\n")
    .map((l) => l.split(":"))
    .find((f) => f[0] === name);
}
function group(root: string, name: string): string[] | undefined {
  return readFileSync(join(root, "etc/group"), "utf8")
    .split("\n")
    .map((l) => l.split(":"))
    .find((f) => f[0] === name);
}

/** Every file under `dir` (not following symlinks). */
function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) walk(p, out);
  }
  return out;
}

describe.runIf(built && canRun({ tools: ["sh", "useradd", "groupadd", "systemctl", "systemd-analyze"], root: true }))("install.sh into a temporary root", () => {
  const root = mkdtempSync(join(tmpdir(), "gh-install-"));
  const install = (...args: string[]) => run("sh", [join(REPO, "systemd/install.sh"), "--root", root, ...args], { timeoutMs: 180_000 });
  const uninstall = (...args: string[]) => run("sh", [join(REPO, "systemd/uninstall.sh"), "--root", root, ...args], { timeoutMs: 60_000 });
  let first: { stdout: string; stderr: string };
  let uid = -1;
  let gid = -1;

  beforeAll(async () => {
    mkdirSync(join(root, "etc"));
    writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/bash\n");
    writeFileSync(join(root, "etc/group"), "root:x:0:\n");
    writeFileSync(join(root, "etc/shadow"), "root:*:19000:0:99999:7:::\n", { mode: 0o640 });
    writeFileSync(join(root, "etc/gshadow"), "root:*::\n", { mode: 0o640 });
    first = await install();
    uid = Number(passwd(root, "gatehouse")?.[2]);
    gid = Number(group(root, "gatehouse")?.[2]);
  }, 240_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("creates the users and the group", () => {
    const gh = passwd(root, "gatehouse")!;
    const probe = passwd(root, "gatehouse-probe")!;
    expect(gh).toBeDefined();
    expect(probe).toBeDefined();
    expect(uid).toBeGreaterThan(0);
    expect(uid).toBeLessThan(1000); // a system account
    expect(gh[3]).toBe(String(gid));
    expect(gh[5]).toBe("/var/lib/gatehouse");
    expect(gh[6]).toMatch(/nologin$/);
    expect(probe[3]).toBe(String(gid)); // its socket is group-owned by gatehouse
    expect(probe[6]).toMatch(/nologin$/);
    expect(Number(probe[2])).not.toBe(uid);
  });

  it("lays out every path with its owner and mode", () => {
    const expected: [string, "dir" | "file" | "link", number | undefined, number | "gh" | "root", number | "gh" | "root"][] = [
      ["etc/gatehouse", "dir", 0o750, "root", "gh"],
      ["etc/gatehouse/gatehouse.yaml", "file", 0o640, "root", "gh"],
      ["var/lib/gatehouse", "dir", 0o700, "gh", "gh"],
      ["var/lib/gatehouse/backups", "dir", 0o700, "gh", "gh"],
      ["var/log/gatehouse", "dir", 0o700, "gh", "gh"],
      ["etc/systemd/system/gatehouse.service", "file", 0o644, "root", "root"],
      ["etc/systemd/system/gatehouse-probe.service", "file", 0o644, "root", "root"],
      ["etc/systemd/system/multi-user.target.wants/gatehouse.service", "link", undefined, "root", "root"],
      ["etc/systemd/system/gatehouse.service.wants/gatehouse-probe.service", "link", undefined, "root", "root"],
      ["usr/local/bin/gatehouse", "link", undefined, "root", "root"],
      ["usr/local/bin/gatehouse-probe", "link", undefined, "root", "root"],
      ["opt/gatehouse", "dir", 0o755, "root", "root"],
      ["opt/gatehouse/dist/src/cli.js", "file", 0o755, "root", "root"],
      ["opt/gatehouse/dist/src/probe/main.js", "file", 0o755, "root", "root"],
      ["opt/gatehouse/package.json", "file", 0o644, "root", "root"],
      ["opt/gatehouse/systemd/README.md", "file", 0o644, "root", "root"],
    ];
    const id = (w: number | "gh" | "root", ghId: number) => (w === "root" ? 0 : w === "gh" ? ghId : w);
    for (const [path, type, mode, owner, grp] of expected) {
      const st = lstatSync(join(root, path));
      const actual = st.isSymbolicLink() ? "link" : st.isDirectory() ? "dir" : st.isFile() ? "file" : "other";
      expect(actual, path).toBe(type);
      if (mode !== undefined) expect((st.mode & 0o7777).toString(8), path).toBe(mode.toString(8));
      expect(st.uid, `${path} owner`).toBe(id(owner, uid));
      expect(st.gid, `${path} group`).toBe(id(grp, gid));
    }
    expect(readlinkSync(join(root, "usr/local/bin/gatehouse"))).toBe("/opt/gatehouse/dist/src/cli.js");
    expect(readlinkSync(join(root, "usr/local/bin/gatehouse-probe"))).toBe("/opt/gatehouse/dist/src/probe/main.js");
    expect(readlinkSync(join(root, "etc/systemd/system/multi-user.target.wants/gatehouse.service"))).toBe("/etc/systemd/system/gatehouse.service");
  });

  it("installs the application root-owned and not writable by the service", () => {
    const writable = walk(join(root, "opt/gatehouse")).filter((p) => {
      const st = lstatSync(p);
      return !st.isSymbolicLink() && (st.uid !== 0 || (st.mode & 0o022) !== 0);
    });
    expect(writable).toEqual([]);
    expect(existsSync(join(root, "opt/gatehouse/node_modules/better-sqlite3"))).toBe(true);
    expect(existsSync(join(root, "opt/gatehouse/node_modules/vitest"))).toBe(false); // dev dependencies pruned
  });

  it("installs units that verify and point at the installed application", async () => {
    const unit = readFileSync(join(root, "etc/systemd/system/gatehouse.service"), "utf8");
    expect(unit).toMatch(new RegExp(`^ExecStart=${process.execPath.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} (--\\S+ )*/opt/gatehouse/dist/src/cli.js serve`, "m"));
    for (const u of ["gatehouse.service", "gatehouse-probe.service"]) {
      const r = await run("systemd-analyze", ["verify", "--man=no", join(root, "etc/systemd/system", u)]);
      expect(r.stderr.trim(), u).toBe("");
    }
  });

  it("writes a starter config that names the data dir as the system sees it", () => {
    const config = readFileSync(join(root, "etc/gatehouse/gatehouse.yaml"), "utf8");
    expect(config).toMatch(/^data_dir: "\/var\/lib\/gatehouse"$/m);
    expect(config).not.toContain(root);
    expect(first.stdout).toMatch(/wrote a starter config/);
    expect(first.stdout).toMatch(/not started: --root/);
  });

  it("the installed command runs from its pruned copy", async () => {
    const r = await run(process.execPath, [join(root, "opt/gatehouse/dist/src/cli.js"), "--version"]);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("is idempotent: a second run keeps users, config and data", async () => {
    appendFileSync(join(root, "etc/gatehouse/gatehouse.yaml"), "# edited by the admin\n");
    writeFileSync(join(root, "var/lib/gatehouse/marker"), "data");
    if (!existsSync(join(root, "var/lib/gatehouse/gatehouse.db"))) openStore(join(root, "var/lib/gatehouse")).close();
    const before = readFileSync(join(root, "etc/passwd"), "utf8");
    const again = await install();
    expect(again.stdout).toMatch(/kept the existing config/);
    expect(again.stdout).not.toMatch(/created (user|group)/);
    expect(readFileSync(join(root, "etc/passwd"), "utf8")).toBe(before);
    expect(readFileSync(join(root, "etc/gatehouse/gatehouse.yaml"), "utf8")).toContain("# edited by the admin");
    expect(readFileSync(join(root, "var/lib/gatehouse/marker"), "utf8")).toBe("data");
    expect(statSync(join(root, "var/lib/gatehouse/marker")).uid).toBe(uid);
    expect(readdirSync(join(root, "opt")).sort()).toEqual(["gatehouse"]); // no leftovers from the swap
    // An upgrade first keeps a copy of the database, owned by the service.
    const copies = readdirSync(join(root, "var/lib/gatehouse/backups")).filter((n) => /^pre-upgrade-\d{8}T\d{6}Z\.db$/.test(n));
    expect(copies).toHaveLength(1);
    const copy = statSync(join(root, "var/lib/gatehouse/backups", copies[0]!));
    expect([copy.uid, copy.gid, copy.mode & 0o777]).toEqual([uid, gid, 0o600]);
    expect(again.stdout).toMatch(/backed up the database to \/var\/lib\/gatehouse\/backups\/pre-upgrade-/);
  }, 240_000);

  it("uninstall keeps config, data and users; --purge removes them", async () => {
    await uninstall();
    for (const gone of ["opt/gatehouse", "etc/systemd/system/gatehouse.service", "etc/systemd/system/gatehouse-probe.service", "usr/local/bin/gatehouse", "etc/systemd/system/multi-user.target.wants/gatehouse.service"]) {
      expect(existsSync(join(root, gone)), gone).toBe(false);
    }
    for (const kept of ["etc/gatehouse/gatehouse.yaml", "var/lib/gatehouse/marker", "var/log/gatehouse"]) expect(existsSync(join(root, kept)), kept).toBe(true);
    expect(passwd(root, "gatehouse")).toBeDefined();

    await uninstall("--purge");
    for (const gone of ["etc/gatehouse", "var/lib/gatehouse", "var/log/gatehouse"]) expect(existsSync(join(root, gone)), gone).toBe(false);
    expect(passwd(root, "gatehouse")).toBeUndefined();
    expect(passwd(root, "gatehouse-probe")).toBeUndefined();
    expect(group(root, "gatehouse")).toBeUndefined();
  }, 120_000);
});
