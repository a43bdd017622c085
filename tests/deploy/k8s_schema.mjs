// Validates Kubernetes manifests against the API's own OpenAPI schemas, as
// compiled into the kubernetes-models npm package (scripts/deps.sh installs
// it globally): types, enums, required fields, formats. It does not reject
// unknown keys (kubeconform's --strict does); tests/e2e/test_deploy_kubernetes.py
// checks the fields that matter by name for that.
//
//   node k8s_schema.mjs NODE_MODULES FILE.yaml...
// prints one JSON line per document: {"file", "kind", "ok", "errors"}; exit 0.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [root, ...files] = process.argv.slice(2);
const mod = (p) => import(pathToFileURL(path.join(root, p)).href);
const { parseAllDocuments } = await mod("yaml/dist/index.js");

for (const file of files) {
  for (const doc of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
    const o = doc.toJS();
    if (!o) continue;
    const out = { file, kind: o.kind, ok: false, errors: [] };
    const [group, version] = String(o.apiVersion).includes("/")
      ? String(o.apiVersion).split("/")
      : ["", String(o.apiVersion)];
    const where = group ? `kubernetes-models/${group}/${version}/${o.kind}.js`
                        : `kubernetes-models/${version}/${o.kind}.js`;
    let Model;
    try {
      Model = (await mod(where))[o.kind];
    } catch (e) {
      out.errors.push(`no schema for ${o.apiVersion} ${o.kind}`);
    }
    if (Model) {
      try {
        new Model(o).validate();
        out.ok = true;
      } catch (e) {
        out.errors.push(String(e.message));
      }
    }
    console.log(JSON.stringify(out));
  }
}
