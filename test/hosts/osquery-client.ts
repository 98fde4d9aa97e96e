/**
 * A test client that speaks osquery's TLS remote API the way osqueryd 5.x does
 * (osquery/remote/utility.h, tls_enroll.cpp, tls_logger.cpp, tls_distributed.cpp): JSON POSTs with
 * osquery's headers, the node key added to every body after enrolment, `node_invalid: true`
 * clearing the key and re-enrolling once, and an `error` key failing the request. Bodies come
 * from the recorded fixtures with `{{enroll_secret}}` / `{{node_key}}` filled in.
 */
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";

export const FIXTURES = join(import.meta.dirname, "../fixtures/osquery");
export const EXCHANGE = join(FIXTURES, "exchange/windows-front-desk");
export const OSQUERY_VERSION = "5.12.1";

export interface Reply {
  status: number;
  json: Record<string, unknown>;
  text: string;
}

/** Sends one POST and returns the status and body. */
export type Transport = (path: string, body: string, headers: Record<string, string>) => Promise<Reply>;

const parse = (status: number, text: string): Reply => {
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* not JSON: left empty, the caller looks at status/text */
  }
  return { status, json, text };
};

/** Through a Hono app in process (app.request). */
export const appTransport =
  (app: { request(path: string, init: RequestInit, env?: unknown): Response | Promise<Response> }, address = "192.0.2.50", origin = "https://gh.test"): Transport =>
  async (path, body, headers) => {
    const env = { incoming: { socket: { remoteAddress: address, remotePort: 50000, remoteFamily: "IPv4" } } };
    const res = await app.request(`${origin}${path}`, { method: "POST", headers, body }, env);
    return parse(res.status, await res.text());
  };

/** Over real HTTPS, trusting only `ca` (what --tls_server_certs does). */
export const httpsTransport =
  (port: number, ca: string, servername = "localhost"): Transport =>
  (path, body, headers) =>
    new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path, method: "POST", ca, servername, headers: { ...headers, "Content-Length": String(Buffer.byteLength(body)) } }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (text += d));
        res.on("end", () => resolve(parse(res.statusCode ?? 0, text)));
      });
      req.on("error", reject);
      req.end(body);
    });

export const ENDPOINTS = {
  enroll: "/osquery/enroll",
  config: "/osquery/config",
  distributedRead: "/osquery/distributed/read",
  distributedWrite: "/osquery/distributed/write",
  logger: "/osquery/log",
};

/** A fixture body with its placeholders filled in. */
export function fixtureBody(file: string, fill: { enroll_secret?: string; node_key?: string }, dir = EXCHANGE): string {
  return readFileSync(join(dir, file), "utf8").replace(/\{\{(enroll_secret|node_key)\}\}/g, (_, k: "enroll_secret" | "node_key") => fill[k] ?? "");
}

export class OsqueryClient {
  nodeKey = "";
  enrollments = 0;
  readonly headers = { "Content-Type": "application/json", Accept: "application/json", "User-Agent": `osquery/${OSQUERY_VERSION}` };

  constructor(
    private readonly send: Transport,
    private readonly secret: string,
  ) {}

  /** tls_enroll.cpp: POST the secret and host details; keep node_key (or fail when there is none). */
  async enroll(): Promise<Reply> {
    this.enrollments++;
    const r = await this.send(ENDPOINTS.enroll, fixtureBody("01-enroll.request.json", { enroll_secret: this.secret }), this.headers);
    const key = r.json.node_key;
    this.nodeKey = typeof key === "string" ? key : "";
    return r;
  }

  /**
   * TLSRequestHelper::go: the node key goes into the body; `node_invalid: true` clears it, and
   * the next attempt enrols again first (what getNodeKey does when the key is empty).
   */
  async post(path: string, fixture: string, attempts = 2): Promise<Reply> {
    let r: Reply | undefined;
    for (let i = 0; i < attempts; i++) {
      if (!this.nodeKey) await this.enroll();
      r = await this.send(path, fixtureBody(fixture, { node_key: this.nodeKey }), this.headers);
      if (r.json.node_invalid === true) {
        this.nodeKey = "";
        continue;
      }
      return r;
    }
    return r!;
  }

  /** distributed.cpp: run what the read handed out (answers replayed from the recorded write; unknown ids fail with status 1). */
  async distributedRound(): Promise<{ read: Reply; write: Reply | undefined; asked: string[] }> {
    const read = await this.post(ENDPOINTS.distributedRead, "03-distributed-read.request.json");
    const asked = Object.keys((read.json.queries as Record<string, string> | undefined) ?? {});
    if (asked.length === 0) return { read, write: undefined, asked };
    const recorded = JSON.parse(readFileSync(join(EXCHANGE, "04-distributed-write.request.json"), "utf8")) as { queries: Record<string, unknown[]> };
    const queries: Record<string, unknown[]> = {};
    const statuses: Record<string, number> = {};
    for (const id of asked) {
      queries[id] = recorded.queries[id] ?? [];
      statuses[id] = id in recorded.queries ? 0 : 1;
    }
    const body = JSON.stringify({ queries, statuses, messages: {}, node_key: this.nodeKey });
    const write = await this.send(ENDPOINTS.distributedWrite, body, this.headers);
    return { read, write, asked };
  }
}
