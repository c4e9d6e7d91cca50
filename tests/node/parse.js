// Parse each file given on the command line with HashiCorp's HCL parser (WASM build) and
// print one JSON object: {"<path>": null | "<error message>"}.
const fs = require("fs");
const { parse } = require("@cdktf/hcl2json");

(async () => {
  const result = {};
  for (const path of process.argv.slice(2)) {
    try {
      await parse(path, fs.readFileSync(path, "utf8"));
      result[path] = null;
    } catch (err) {
      result[path] = String(err && err.message ? err.message : err);
    }
  }
  process.stdout.write(JSON.stringify(result));
})();
