/** `gatehouse config check` and `gatehouse init`. */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DEFAULT_CONFIG_PATH, loadConfig, resolveConfigPath } from "../agent/config/load.js";
import { UserError } from "../kit/errors.js";
import { openStore } from "../agent/store/db.js";
import { starterConfig } from "../agent/config/starter.js";
import { configOption, parseCommandArgs, type Command } from "./command.js";
import { issueSetupLinkIfNeeded } from "../web/server.js";

const checkUsage = "gatehouse config check [--config FILE]";

export const configCheckCommand: Command = {
  words: ["config", "check"],
  summary: "validate the config; errors name the key path and the line",
  usage: checkUsage,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, configOption, checkUsage);
    const file = resolveConfigPath(values.config);
    const c = loadConfig(file);
    io.out(`${file}: OK (site "${c.site}", ${c.monitors.length} monitors: ${c.monitors.map((m) => m.monitor.id).join(", ")})`);
    return 0;
  },
};

const initUsage = "gatehouse init [--config FILE] [--site NAME] [--data-dir DIR] [--force]";

/**
 * Where `init` puts the data without `--data-dir`: the system location for the system config
 * (what `gatehouse install` sets up), else a `data` folder beside the config file (relative
 * paths resolve against the config's folder), so trying Gatehouse out never writes to /var/lib.
 */
export function defaultDataDir(configFile: string): string {
  return resolve(configFile) === DEFAULT_CONFIG_PATH ? "/var/lib/gatehouse" : "./data";
}

export const initCommand: Command = {
  words: ["init"],
  summary: "write a commented starter config and the data dir",
  usage: initUsage,
  async run(argv, io) {
    const { values } = parseCommandArgs(
      argv,
      { ...configOption, site: { type: "string" }, "data-dir": { type: "string" }, force: { type: "boolean" } },
      initUsage,
    );
    const file = resolveConfigPath(values.config);
    if (existsSync(file) && !values.force) throw new UserError(`${file} already exists; not overwriting it (use --force to replace it)`, 1);
    mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
    writeFileSync(file, starterConfig({ site: values.site ?? "My Answering Service", dataDir: values["data-dir"] ?? defaultDataDir(file) }), { mode: 0o640 });
    const config = loadConfig(file);
    const db = openStore(config.dataDir);
    const setup = (() => {
      try {
        return issueSetupLinkIfNeeded(db, config);
      } finally {
        db.close();
      }
    })();
    io.out(`wrote ${file}\ndata dir ${config.dataDir}\nnext: edit the file, then run: gatehouse config check --config ${file}`);
    if (setup) io.out(`\ncreate the first console administrator with this one-time link (valid 24 hours, also saved in ${setup.file}):\n  ${setup.link}`);
    return 0;
  },
};
