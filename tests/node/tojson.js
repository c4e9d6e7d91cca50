// Parse each file given on the command line with HashiCorp's HCL parser (WASM build) and
// print one JSON object: {"<path>": {"ok": <the parsed body as JSON>} | {"error": "<message>"}}.
const fs = require("fs");
const { parse } = require("@cdktf/hcl2json");

(async () => {
  const result = {};
  for (const path of process.argv.slice(2)) {
    try {
      result[path] = { ok: await parse(path, fs.readFileSync(path, "utf8")) };
    } catch (err) {
      result[path] = { error: String(err && err.message ? err.message : err) };
    }
  }
  process.stdout.write(JSON.stringify(result));
})();
