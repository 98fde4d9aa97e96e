// Runs one read-only SQL query against the installed database, inside the container (SQLite
// resolves /proc/PID/root paths to the host's view, so the host cannot open it there).
//   NODE_PATH=… node query.cjs DB_FILE SQL [PARAMS_JSON]   → the rows as JSON
const Database = require("better-sqlite3");
const [file, sql, params] = process.argv.slice(2);
const db = new Database(file, { readonly: true, fileMustExist: true });
try {
  process.stdout.write(JSON.stringify(db.prepare(sql).all(...JSON.parse(params ?? "[]"))));
} finally {
  db.close();
}
