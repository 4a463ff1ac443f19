#!/usr/bin/env node
// Checks that every kustomization under deploy/k8s stays within what kustomize v2.0.3 (the
// one built into kubectl 1.14 to 1.20, e.g. Debian 12's kubernetes-client) renders, as well
// as kustomize v5: old field names only, no kind: Component, resources that are files below
// the kustomization, bases that are directories, and strategic-merge patches that do not merge
// into fields kubectl 1.20's API types lack (a native gRPC probe, a preStop sleep action).
//
// Usage: node check_kustomize_compat.js [DIR]   (default: deploy/k8s of this repository)
"use strict";

const fs = require("fs");
const path = require("path");
const yaml = require("js-yaml");

// The Kustomization fields of kustomize v2.0.3 (pkg/types/kustomization.go at v2.0.3).
const kV2Fields = new Set([
  "apiVersion", "kind", "namePrefix", "nameSuffix", "namespace", "commonLabels",
  "commonAnnotations", "patchesStrategicMerge", "patchesJson6902", "crds", "resources", "bases",
  "configMapGenerator", "secretGenerator", "generatorOptions", "vars", "images",
  "configurations",
]);
// Newer spellings that v2.0.3 refuses, with what to write instead.
const kNewer = {
  components: "a kustomization directory listed in bases",
  labels: "commonLabels",
  patches: "patchesStrategicMerge or patchesJson6902",
  replicas: "a strategic-merge patch of spec.replicas",
  helmCharts: "rendered manifests", transformers: "the built-in fields",
  generators: "configMapGenerator", openapi: "nothing", sortOptions: "nothing",
  buildMetadata: "nothing", validators: "nothing", replacements: "vars",
};
const kImageFields = new Set(["name", "newName", "newTag", "digest"]);
// Fields of the API types in kubectl 1.20 that a strategic merge can recurse into; these keys
// came later, so a merge that meets them in both the base and the patch fails there.
const kNewerTypeFields = [
  {parent: /Probe$/, key: "grpc", since: "1.23"},
  {parent: /^preStop$|^postStart$/, key: "sleep", since: "1.29"},
];

const problems = [];
const fail = (where, message) => problems.push(`${where}: ${message}`);

function loadYaml(file) {
  return yaml.safeLoadAll(fs.readFileSync(file, "utf8")).filter(Boolean);
}

function walkPatch(node, parentKey, where) {
  if (Array.isArray(node)) {
    for (const item of node) walkPatch(item, parentKey, where);
  } else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      for (const rule of kNewerTypeFields) {
        if (rule.parent.test(parentKey) && key === rule.key) {
          fail(where, `a strategic-merge patch sets ${parentKey}.${key} (Kubernetes ` +
                      `${rule.since}): kustomize v2.0.3 cannot merge it; use patchesJson6902`);
        }
      }
      walkPatch(value, key, where);
    }
  }
}

function checkKustomization(dir, root) {
  const file = path.join(dir, "kustomization.yaml");
  const where = path.relative(root, file);
  const docs = loadYaml(file);
  if (docs.length !== 1) { fail(where, "must hold exactly one document"); return; }
  const k = docs[0];
  if (k.apiVersion !== "kustomize.config.k8s.io/v1beta1") {
    fail(where, `apiVersion ${k.apiVersion}: must be kustomize.config.k8s.io/v1beta1`);
  }
  if (k.kind !== "Kustomization") {
    fail(where, `kind ${k.kind}: kustomize v2.0.3 knows only Kustomization (no Component)`);
  }
  for (const field of Object.keys(k)) {
    if (kNewer[field]) {
      fail(where, `field ${field} is newer than kustomize v2.0.3: use ${kNewer[field]}`);
    } else if (!kV2Fields.has(field)) {
      fail(where, `field ${field} is not a kustomize v2.0.3 field`);
    }
  }
  const inside = (rel) => {
    const full = path.resolve(dir, rel);
    return full.startsWith(dir + path.sep) ? full : null;
  };
  for (const rel of k.resources || []) {
    const full = inside(rel);
    if (!full) fail(where, `resource ${rel} is outside the kustomization (v2.0.3 refuses it)`);
    else if (!fs.existsSync(full)) fail(where, `resource ${rel} does not exist`);
    else if (fs.statSync(full).isDirectory()) {
      fail(where, `resource ${rel} is a directory: v2.0.3 takes directories only in bases`);
    }
  }
  for (const rel of k.bases || []) {
    const full = path.resolve(dir, rel);
    if (!fs.existsSync(path.join(full, "kustomization.yaml"))) {
      fail(where, `base ${rel} is not a directory with a kustomization.yaml`);
    }
  }
  for (const rel of k.patchesStrategicMerge || []) {
    const full = inside(rel);
    if (!full || !fs.existsSync(full)) {
      fail(where, `patch ${rel} is not a file inside the kustomization`);
      continue;
    }
    for (const doc of loadYaml(full)) {
      if (!doc.apiVersion || !doc.kind || !doc.metadata || !doc.metadata.name) {
        fail(`${where} ${rel}`, "a patch needs apiVersion, kind and metadata.name");
      }
      walkPatch(doc, "", `${where} ${rel}`);
    }
  }
  for (const [i, p] of (k.patchesJson6902 || []).entries()) {
    const t = p.target || {};
    if (!t.version || !t.kind || !t.name) {
      fail(where, `patchesJson6902[${i}].target needs version, kind and name`);
    }
    const full = p.path && inside(p.path);
    if (!full || !fs.existsSync(full)) {
      fail(where, `patchesJson6902[${i}].path ${p.path} is not a file inside the kustomization`);
      continue;
    }
    const ops = loadYaml(full)[0];
    if (!Array.isArray(ops) || ops.length === 0) {
      fail(where, `${p.path} is not a list of JSON patch operations`);
      continue;
    }
    for (const op of ops) {
      if (!["add", "remove", "replace", "move", "copy", "test"].includes(op.op) ||
          typeof op.path !== "string" || !op.path.startsWith("/")) {
        fail(where, `${p.path}: not a JSON patch operation: ${JSON.stringify(op)}`);
      }
    }
  }
  for (const image of k.images || []) {
    for (const field of Object.keys(image)) {
      if (!kImageFields.has(field)) fail(where, `images entry field ${field} is not in v2.0.3`);
    }
    if (image.newTag === "latest") fail(where, `images sets ${image.name} to the tag latest`);
  }
}

function main() {
  const root = path.resolve(process.argv[2] ||
                            path.join(__dirname, "..", "..", "deploy", "k8s"));
  const dirs = [];
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, {withFileTypes: true})) {
      if (entry.isDirectory()) walk(path.join(d, entry.name));
      else if (entry.name === "kustomization.yaml") dirs.push(d);
      else if (entry.name === "kustomization.yml" || entry.name === "Kustomization") {
        fail(path.relative(root, path.join(d, entry.name)), "name it kustomization.yaml");
      }
    }
  };
  walk(root);
  if (dirs.length === 0) fail(root, "no kustomization.yaml");
  for (const dir of dirs) {
    try {
      checkKustomization(dir, root);
    } catch (err) {
      fail(path.relative(root, dir), err.message.split("\n")[0]);
    }
  }
  for (const p of problems) console.log(`FAIL: ${p}`);
  console.log(`check_kustomize_compat: ${dirs.length} kustomizations, ${problems.length} problems`);
  return problems.length ? 1 : 0;
}

process.exit(main());
