/** `gatehouse user add NAME --role admin|manager|viewer`: a console user, by one-time enrollment link. */
import { consoleUrl } from "../agent/agent.js";
import { appendAudit } from "../agent/audit.js";
import { UserError } from "../kit/errors.js";
import { createEnrollment, hasPendingEnrollment, ROLES, userByName, USERNAME_RE, type Role } from "../web/auth/store.js";
import { configOption, onePositional, osActor, parseCommandArgs, withStore, type Command } from "./command.js";

const usage = "gatehouse user add NAME --role admin|manager|viewer [--config FILE]";

export const userAddCommand: Command = {
  words: ["user", "add"],
  summary: "create a console user; prints a one-time enrollment link (24 h)",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { ...configOption, role: { type: "string" } }, usage);
    const name = onePositional(positionals, "user name", usage).toLowerCase();
    if (!USERNAME_RE.test(name)) throw new UserError(`"${positionals[0]}" is not a valid user name: use lower-case letters, digits, . _ - (at most 64, starting with a letter or digit)`, 3);
    const role = values.role as Role | undefined;
    if (!role || !ROLES.includes(role)) throw new UserError(`--role must be one of ${ROLES.join(", ")}\nusage: ${usage}`, 3);
    return withStore(values.config, (db, config) => {
      const now = Date.now();
      if (userByName(db, name)) throw new UserError(`a console user named "${name}" already exists`, 1);
      if (hasPendingEnrollment(db, name, now)) throw new UserError(`an enrollment link for "${name}" is already outstanding (valid 24 hours from its creation)`, 1);
      const actor = osActor();
      const token = db.transaction(() => {
        const t = createEnrollment(db, { kind: "enroll", username: name, role, createdBy: actor, now });
        appendAudit(db, { at: now, actor, action: "user.invite", target: `user:${name}`, detail: { before: null, after: { username: name, role }, via: "cli" } });
        return t;
      })();
      io.out(`user ${name} (${role}): give them this one-time enrollment link (valid 24 hours):\n  ${consoleUrl(config)}enroll/${token}`);
      return 0;
    });
  },
};
