/**
 * A throw-away PKI for the tls tests, made with the real `openssl` CLI (through exec.ts):
 * a private CA, leaf certificates with chosen validity dates (`openssl ca -startdate/-enddate`,
 * which is how an expired certificate can be made without faking the clock), and self-signed ones.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../../src/kit/exec.js";

export interface KeyPair {
  cert: string;
  key: string;
  certPath: string;
}

/** openssl's `YYYYMMDDHHMMSSZ`. */
const asn1 = (d: Date) => d.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";

export class TestPki {
  readonly ca: KeyPair;
  private n = 0;
  private constructor(
    private readonly dir: string,
    ca: KeyPair,
  ) {
    this.ca = ca;
  }

  static async create(dir: string): Promise<TestPki> {
    mkdirSync(join(dir, "newcerts"), { recursive: true });
    writeFileSync(join(dir, "index.txt"), "");
    writeFileSync(join(dir, "serial"), "1000\n");
    writeFileSync(
      join(dir, "ca.cnf"),
      [
        "[ ca ]",
        "default_ca = testca",
        "[ testca ]",
        `dir = ${dir}`,
        "database = $dir/index.txt",
        "new_certs_dir = $dir/newcerts",
        "serial = $dir/serial",
        "default_md = sha256",
        "policy = policy_any",
        "copy_extensions = copy",
        "unique_subject = no",
        "[ policy_any ]",
        "commonName = supplied",
        "",
      ].join("\n"),
    );
    await run("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
      "-keyout", join(dir, "ca.key"), "-out", join(dir, "ca.pem"), "-days", "30", "-subj", "/CN=Gatehouse Test CA",
    ]);
    return new TestPki(dir, read(dir, "ca"));
  }

  /** A leaf signed by the test CA, valid from `from` to `to`, for the given SAN. */
  async leaf(san: string, from: Date, to: Date): Promise<KeyPair> {
    const name = `leaf${++this.n}`;
    const d = this.dir;
    await run("openssl", [
      "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
      "-keyout", join(d, `${name}.key`), "-out", join(d, `${name}.csr`), "-subj", `/CN=${name}`, "-addext", `subjectAltName=${san}`,
    ]);
    await run("openssl", [
      "ca", "-batch", "-notext", "-config", join(d, "ca.cnf"), "-cert", join(d, "ca.pem"), "-keyfile", join(d, "ca.key"),
      "-in", join(d, `${name}.csr`), "-out", join(d, `${name}.pem`), "-startdate", asn1(from), "-enddate", asn1(to),
    ]);
    return read(d, name);
  }

  /** A self-signed certificate, like a box that made its own. */
  async selfSigned(san: string): Promise<KeyPair> {
    const name = `self${++this.n}`;
    await run("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "365",
      "-keyout", join(this.dir, `${name}.key`), "-out", join(this.dir, `${name}.pem`), "-subj", `/CN=${name}`, "-addext", `subjectAltName=${san}`,
    ]);
    return read(this.dir, name);
  }
}

function read(dir: string, name: string): KeyPair {
  const certPath = join(dir, `${name}.pem`);
  return { cert: readFileSync(certPath, "utf8"), key: readFileSync(join(dir, `${name}.key`), "utf8"), certPath };
}
