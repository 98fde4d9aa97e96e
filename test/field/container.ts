/**
 * A minimal Debian 12 booted with systemd as PID 1 in its own network namespace, for the field
 * suite: Gatehouse is installed into it the way README tells a user to, and driven through its
 * real units.
 *
 * The root is built once with debootstrap (from the Debian mirror apt already uses here) and
 * cached in `.cache/field/` of the checkout; every boot runs it with `--volatile=overlay`, so the
 * cached root is never changed and nothing of a run survives it. The host is never touched: the
 * container has its own network namespace (`--private-network`), and commands reach it through
 * `nsenter` into its namespaces.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createHash } from "node:crypto";

export const REPO = resolve(import.meta.dirname, "../..");

/** What a "bare box" has: systemd and the tools named in issue 13, nothing Gatehouse needs besides. */
const PACKAGES = ["systemd", "systemd-sysv", "dbus", "nftables", "iproute2"];

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a host command without a shell; never throws on a non-zero exit. */
export function sh(file: string, args: string[], opts: { timeoutMs?: number; input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err && typeof (err as NodeJS.ErrnoException).code === "string") return reject(err);
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolvePromise({ code: typeof code === "number" ? code : 1, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** The first Debian mirror in the host's apt sources (deb822 or one-line), else deb.debian.org. */
export function debianMirror(): string {
  const files = ["/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"];
  for (const d of existsSync("/etc/apt/sources.list.d") ? readdirSync("/etc/apt/sources.list.d") : []) files.push(join("/etc/apt/sources.list.d", d));
  for (const f of files) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, "utf8");
    const deb822 = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text);
    if (deb822?.[1]) return deb822[1];
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+bookworm\s/m.exec(text);
    if (line?.[1]) return line[1];
  }
  return "http://deb.debian.org/debian";
}

/** The cached root for this package set, built on first use (about 40 s). Concurrent callers wait. */
export async function debianRoot(): Promise<string> {
  const mirror = debianMirror();
  const key = createHash("sha256").update(JSON.stringify({ PACKAGES, mirror, suite: "bookworm", v: 1 })).digest("hex").slice(0, 12);
  const cache = join(REPO, ".cache", "field");
  const root = join(cache, `bookworm-${key}`);
  if (existsSync(join(root, ".complete"))) return root;
  mkdirSync(cache, { recursive: true });
  const lock = `${root}.lock`;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another run builds it; a lock older than 15 minutes is a crashed build's.
      if (Date.now() - statSync(lock).mtimeMs > 15 * 60_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 2000));
      if (existsSync(join(root, ".complete"))) return root;
    }
  }
  try {
    if (existsSync(join(root, ".complete"))) return root;
    const tmp = `${root}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    const r = await sh("debootstrap", ["--variant=minbase", `--include=${PACKAGES.join(",")}`, "bookworm", tmp, mirror], { timeoutMs: 15 * 60_000 });
    if (r.code !== 0) throw new Error(`debootstrap failed (${r.code}):\n${(r.stdout + r.stderr).slice(-4000)}`);
    // The machine id is made at each boot (volatile); an empty file tells systemd so.
    writeFileSync(join(tmp, "etc/machine-id"), "");
    writeFileSync(join(tmp, ".complete"), new Date().toISOString());
    rmSync(root, { recursive: true, force: true });
    renameSync(tmp, root);
    return root;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** A booted container. */
export class Container {
  private constructor(
    private readonly nspawn: ChildProcess,
    /** PID of the container's systemd, as the host sees it. */
    readonly pid: number,
    private readonly console: string[],
  ) {}

  /** Boots `root` (read-only underneath: changes live in a tmpfs overlay) and waits for systemd. */
  static async boot(root: string, name: string): Promise<Container> {
    const args = ["-D", root, "--volatile=overlay", "--boot", "--private-network", "--register=no", "--keep-unit", "--console=passive", "-M", name, "--quiet"];
    const nspawn = spawn("systemd-nspawn", args, { stdio: ["ignore", "pipe", "pipe"], detached: false });
    const out: string[] = [];
    nspawn.stdout?.on("data", (b: Buffer) => out.push(b.toString()));
    nspawn.stderr?.on("data", (b: Buffer) => out.push(b.toString()));
    try {
      return await Container.waitForBoot(nspawn, out);
    } catch (e) {
      // Never leave a half-booted container behind: nspawn turns SIGTERM into a clean poweroff.
      nspawn.kill("SIGTERM");
      const killer = setTimeout(() => nspawn.kill("SIGKILL"), 15_000);
      await new Promise((r) => (nspawn.exitCode !== null ? r(undefined) : nspawn.once("exit", r)));
      clearTimeout(killer);
      throw e;
    }
  }

  private static async waitForBoot(nspawn: ChildProcess, out: string[]): Promise<Container> {
    let pid = 0;
    for (let i = 0; i < 300 && !pid; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (nspawn.exitCode !== null) throw new Error(`systemd-nspawn exited ${nspawn.exitCode}:\n${out.join("")}`);
      pid = childOf(nspawn.pid!);
    }
    if (!pid) throw new Error(`systemd did not start in the container:\n${out.join("")}`);
    const c = new Container(nspawn, pid, out);
    // `is-system-running --wait` returns once boot is done (running or degraded).
    // Right after init starts the bus may not answer yet, or the manager reports "offline":
    // ask again until boot is done.
    let state = { code: 1, stdout: "", stderr: "" };
    const end = Date.now() + 120_000;
    while (Date.now() < end) {
      state = await c.exec("systemctl", ["is-system-running", "--wait"], { timeoutMs: 120_000 });
      if (/running|degraded/.test(state.stdout)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (!/running|degraded/.test(state.stdout)) throw new Error(`container did not boot: ${state.stdout}${state.stderr}\n${out.join("")}`);
    return c;
  }

  /** The container's file system as the host sees it (through its mount namespace). */
  path(p: string): string {
    return join(`/proc/${this.pid}/root`, p);
  }

  /** Runs a command inside every namespace of the container (as its root). */
  exec(cmd: string, args: string[] = [], opts: { timeoutMs?: number; input?: string } = {}): Promise<Result> {
    return sh("nsenter", ["-t", String(this.pid), "-a", "--", cmd, ...args], {
      ...opts,
      env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8", HOME: "/root" },
    });
  }

  /** Like exec, but throws with the output when the command fails. */
  async ok(cmd: string, args: string[] = [], opts: { timeoutMs?: number; input?: string } = {}): Promise<string> {
    const r = await this.exec(cmd, args, opts);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /**
   * Starts a host program inside the container's network namespace only (it keeps the host's
   * files): test peers such as an SMTP server or an MQTT broker live there, beside the daemon.
   */
  spawnInNet(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
    return spawn("nsenter", [`--net=/proc/${this.pid}/ns/net`, "--", file, ...args], { stdio: ["pipe", "pipe", "pipe"], env });
  }

  /** Runs a host program in the container's network namespace to completion. */
  runInNet(file: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
    return sh("nsenter", [`--net=/proc/${this.pid}/ns/net`, "--", file, ...args], opts);
  }

  /** The main PID of a unit inside the container (0 when it is not running). */
  async mainPid(unit: string): Promise<number> {
    const r = await this.exec("systemctl", ["show", "-p", "MainPID", "--value", unit]);
    return Number(r.stdout.trim()) || 0;
  }

  /** Waits until `probe` returns a truthy value; polls every `everyMs`. */
  async until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  /** Powers the container off and waits for nspawn to exit (the overlay goes with it). */
  async stop(): Promise<void> {
    if (this.nspawn.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.nspawn.once("exit", () => r()));
    await this.exec("systemctl", ["poweroff", "--no-block"]).catch(() => undefined);
    const timer = setTimeout(() => this.nspawn.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(timer);
  }

  /** What nspawn and the container's console printed (for failure messages). */
  consoleOutput(): string {
    return this.console.join("");
  }
}

/** The child of `pid` that is systemd (nspawn's child is the container's init). */
function childOf(pid: number): number {
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
      // Until the inner child has exec'd systemd it is still a copy of nspawn.
      if (kids[0] && readFileSync(`/proc/${kids[0]}/comm`, "utf8").trim() === "systemd") return Number(kids[0]);
    }
  } catch {
    return 0;
  }
  return 0;
}
