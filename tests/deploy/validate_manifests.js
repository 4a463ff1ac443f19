#!/usr/bin/env node
// Validates rendered jobfacade manifests (`kubectl kustomize DIR`): each object against the
// Kubernetes OpenAPI schema (kubernetes-models), then against the deployment's own rules.
//
// Usage: node validate_manifests.js [--prod] [--monitoring] [--repo DIR] [FILE | -]
//   --prod        also require production settings: JOBFACADE_SANDBOX=false, TLS on the gRPC
//                 port, at least 2 replicas (Deployment and HPA minimum)
//   --monitoring  also require a ServiceMonitor and a PrometheusRule
//   --repo DIR    the repository, for the setting and metric names the server knows
//                 (default: two directories up)
// Reads FILE, or stdin when FILE is "-" or absent. Prints one line per problem and exits 1 on
// any, 0 when every object passes; 2 on a usage error.
"use strict";

const fs = require("fs");
const path = require("path");
const yaml = require("js-yaml");

const kHealthService = "jobfacade.v1.JobService";
const kDefaultShutdownGraceSeconds = 10;  // API.md, JOBFACADE_SHUTDOWN_GRACE_SECONDS
const kDefaultListenPort = 50051;

// apiVersion -> kind -> [module, export]. Anything else is refused: a typo in either field,
// or an API the cluster does not serve any more, must not pass as "unknown, so fine".
const kModels = {
  "v1": {
    ConfigMap: ["kubernetes-models/v1", "ConfigMap"],
    Namespace: ["kubernetes-models/v1", "Namespace"],
    Secret: ["kubernetes-models/v1", "Secret"],
    Service: ["kubernetes-models/v1", "Service"],
    ServiceAccount: ["kubernetes-models/v1", "ServiceAccount"],
  },
  "apps/v1": {Deployment: ["kubernetes-models/apps/v1", "Deployment"]},
  "autoscaling/v2": {
    HorizontalPodAutoscaler: ["kubernetes-models/autoscaling/v2", "HorizontalPodAutoscaler"],
  },
  "policy/v1": {PodDisruptionBudget: ["kubernetes-models/policy/v1", "PodDisruptionBudget"]},
  "networking.k8s.io/v1": {
    NetworkPolicy: ["kubernetes-models/networking.k8s.io/v1", "NetworkPolicy"],
  },
};
// kubernetes-models has no Prometheus operator models in node_modules
// (@kubernetes-models/prometheus-operator is not installed): these two are checked by
// checkServiceMonitor and checkPrometheusRule below.
const kOwnChecked = {"monitoring.coreos.com/v1": ["ServiceMonitor", "PrometheusRule"]};

class Report {
  constructor() { this.problems = []; this.notes = []; }
  fail(where, message) { this.problems.push(`${where}: ${message}`); }
  note(message) { this.notes.push(message); }
}

function parseArgs(argv) {
  const options = {prod: false, monitoring: false, repo: path.resolve(__dirname, "..", ".."),
                   file: "-"};
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (arg === "--prod") options.prod = true;
    else if (arg === "--monitoring") options.monitoring = true;
    else if (arg === "--repo" && i + 1 < argv.length) options.repo = path.resolve(argv[++i]);
    else if (arg === "-h" || arg === "--help") return null;
    else if (arg.startsWith("--")) throw new Error(`unknown option ${arg}`);
    else options.file = arg;
  }
  return options;
}

function objectName(obj) {
  const meta = (obj && obj.metadata) || {};
  return `${obj && obj.kind}/${meta.name || "?"}`;
}

// Names the server reads. The sources are the truth; the contract (API.md's configuration
// table, beside the repository in shared/design when present, and the README) adds the names
// the contract promises, which are accepted with a note when the sources lack them.
function knownSettings(repo) {
  const fromSources = new Set();
  const walk = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, {withFileTypes: true})) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(cc|h)$/.test(entry.name)) {
        const text = fs.readFileSync(full, "utf8");
        for (const m of text.matchAll(/"((?:JOBFACADE|[A-Z][A-Z0-9]*)_[A-Z0-9_]+)"/g)) {
          fromSources.add(m[1]);
          // A vendor's key is also read from NAME_FILE (service/config.cc ReadKey).
          if (/_API_KEY$/.test(m[1])) fromSources.add(`${m[1]}_FILE`);
        }
      }
    }
  };
  walk(path.join(repo, "service"));
  walk(path.join(repo, "adapters"));
  const fromContract = new Set();
  for (const doc of [path.join(repo, "..", "shared", "design", "API.md"),
                     path.join(repo, "README.md")]) {
    if (!fs.existsSync(doc)) continue;
    for (const line of fs.readFileSync(doc, "utf8").split("\n")) {
      if (!line.startsWith("| `")) continue;
      const cell = line.split("|")[1];
      const names = [...cell.matchAll(/`([A-Z][A-Z0-9_]+|\.\.\.[A-Z0-9_]+)`/g)].map((m) => m[1]);
      let stem = "";
      for (const name of names) {
        if (name.startsWith("...")) {
          // `JOBFACADE_PAGE_TOKEN_KEY_PREVIOUS` / `..._PREVIOUS_FILE`: the stem is the name
          // before it with its own last word(s) replaced.
          const suffix = name.slice(3);
          const firstWord = suffix.split("_")[1];
          const at = stem.lastIndexOf(`_${firstWord}`);
          fromContract.add((at > 0 ? stem.slice(0, at) : stem) + suffix);
        } else {
          fromContract.add(name);
          stem = name;
        }
      }
    }
  }
  return {fromSources, fromContract};
}

// Metric names the server exposes, from the sources; histogram and summary series names
// (_bucket, _count, _sum) of each base name too. jobfacade_rpc_duration_seconds and
// jobfacade_vendor_request_duration_seconds are histograms by the contract (API.md).
function knownMetrics(repo) {
  const names = new Set();
  const bases = new Set(["jobfacade_rpc_duration_seconds",
                         "jobfacade_vendor_request_duration_seconds"]);
  for (const dir of ["service", "adapters"]) {
    const walk = (d) => {
      if (!fs.existsSync(d)) return;
      for (const entry of fs.readdirSync(d, {withFileTypes: true})) {
        const full = path.join(d, entry.name);
        if (entry.isDirectory()) walk(full);
        else if (/\.(cc|h)$/.test(entry.name)) {
          for (const m of fs.readFileSync(full, "utf8").matchAll(/"(jobfacade_[a-z0-9_]+)/g)) {
            names.add(m[1]);
            bases.add(m[1].replace(/_(bucket|count|sum)$/, ""));
          }
        }
      }
    };
    walk(path.join(repo, dir));
  }
  for (const base of bases) {
    for (const suffix of ["", "_bucket", "_count", "_sum"]) names.add(base + suffix);
  }
  return names;
}

function parseDocuments(text, report) {
  let docs;
  try {
    docs = yaml.safeLoadAll(text);
  } catch (err) {
    report.fail("input", `not YAML: ${err.message.split("\n")[0]}`);
    return [];
  }
  const objects = [];
  for (const doc of docs) {
    if (doc === null || doc === undefined) continue;
    if (typeof doc !== "object" || Array.isArray(doc)) {
      report.fail("input", `a document is not an object: ${JSON.stringify(doc).slice(0, 60)}`);
      continue;
    }
    if (doc.kind === "List" && Array.isArray(doc.items)) objects.push(...doc.items);
    else objects.push(doc);
  }
  return objects;
}

async function validateSchema(obj, report) {
  const where = objectName(obj);
  if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
    report.fail(where, "apiVersion and kind must both be strings");
    return false;
  }
  if (!obj.metadata || typeof obj.metadata.name !== "string" || !obj.metadata.name) {
    report.fail(where, "metadata.name is missing");
  }
  const own = kOwnChecked[obj.apiVersion];
  if (own && own.includes(obj.kind)) return true;
  const kinds = kModels[obj.apiVersion];
  if (!kinds) {
    report.fail(where, `unknown apiVersion ${obj.apiVersion} (kind ${obj.kind})`);
    return false;
  }
  const entry = kinds[obj.kind];
  if (!entry) {
    report.fail(where, `unknown kind ${obj.kind} in apiVersion ${obj.apiVersion}`);
    return false;
  }
  const Model = (await import(entry[0]))[entry[1]];
  try {
    new Model(obj).validate();
  } catch (err) {
    const errors = err.errors || [];
    if (errors.length === 0) {
      report.fail(where, `schema: ${err.message}`);
    }
    // One line per field: the oneOf/format noise of a quantity collapses into its field.
    const byField = new Map();
    for (const e of errors) {
      const field = (e.instancePath || "/").slice(1).replace(/\//g, ".") || "(object)";
      if (!byField.has(field)) byField.set(field, []);
      byField.get(field).push(e.keyword === "format" ? `must be a ${e.params.format}` :
          e.keyword === "additionalProperties" ?
            `unknown field ${e.params.additionalProperty}` : e.message);
    }
    for (const [field, messages] of byField) {
      report.fail(where, `schema: ${field} = ${JSON.stringify(valueAt(obj, field))}: ` +
                         [...new Set(messages)].join("; "));
    }
    return false;
  }
  return true;
}

function valueAt(obj, dotted) {
  let value = obj;
  for (const part of dotted.split(".")) {
    if (value === undefined || value === null) return undefined;
    value = value[part];
  }
  return value;
}

// The image's tag: what follows the last ":" after the last "/", unless pinned by digest.
function imageProblem(image) {
  if (typeof image !== "string" || !image) return "has no image";
  if (image.includes("@sha256:")) return null;
  const lastPart = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastPart.lastIndexOf(":");
  if (colon < 0) return `image ${image} has no tag (it would pull latest)`;
  const tag = lastPart.slice(colon + 1);
  if (tag === "latest") return `image ${image} uses the tag latest`;
  return null;
}

function portOfListen(value) {
  if (typeof value !== "string") return null;
  const m = /:(\d+)$/.exec(value.trim());
  return m ? Number(m[1]) : null;
}

// The environment a container sees: envFrom ConfigMaps first, env entries over them.
function effectiveEnv(container, configMaps, where, report) {
  const env = new Map();
  for (const source of container.envFrom || []) {
    if (source.configMapRef) {
      const cm = configMaps.get(source.configMapRef.name);
      if (!cm) {
        if (!source.configMapRef.optional) {
          report.fail(where, `envFrom names ConfigMap ${source.configMapRef.name}, which is ` +
                             "not in the manifests");
        }
        continue;
      }
      for (const [k, v] of Object.entries(cm.data || {})) {
        env.set((source.prefix || "") + k, {value: String(v), from: `ConfigMap ${cm.metadata.name}`});
      }
    } else if (source.secretRef) {
      report.fail(where, `envFrom Secret ${source.secretRef.name}: secrets go in as files ` +
                         "(_FILE settings), not as environment");
    }
  }
  for (const e of container.env || []) {
    env.set(e.name, {value: e.value, valueFrom: e.valueFrom, from: "env"});
  }
  return env;
}

function labelsMatch(selector, labels) {
  if (!selector || typeof selector !== "object") return false;
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

function preStopSleepSeconds(container) {
  const preStop = container.lifecycle && container.lifecycle.preStop;
  if (!preStop) return 0;
  if (preStop.sleep && Number.isInteger(preStop.sleep.seconds)) return preStop.sleep.seconds;
  const command = preStop.exec && preStop.exec.command;
  if (Array.isArray(command)) {
    const text = command.join(" ");
    const m = /(?:^|[\s/])sleep\s+(\d+)\b/.exec(text);
    if (m) return Number(m[1]);
  }
  return 0;
}

function checkContainer(c, pod, ctx, where, report) {
  const podSc = pod.securityContext || {};
  const sc = c.securityContext || {};
  const w = `${where} container ${c.name}`;
  const runAsNonRoot = sc.runAsNonRoot !== undefined ? sc.runAsNonRoot : podSc.runAsNonRoot;
  if (runAsNonRoot !== true) {
    report.fail(w, `runAsNonRoot must be true (is ${JSON.stringify(runAsNonRoot)})`);
  }
  const uid = sc.runAsUser !== undefined ? sc.runAsUser : podSc.runAsUser;
  if (!Number.isInteger(uid) || uid === 0) {
    report.fail(w, `runAsUser must be a non-zero uid (is ${JSON.stringify(uid)})`);
  } else if (ctx.imageUser !== null && uid !== ctx.imageUser) {
    report.fail(w, `runAsUser ${uid} differs from the image's USER ${ctx.imageUser} ` +
                   "(deploy/Dockerfile)");
  }
  const gid = sc.runAsGroup !== undefined ? sc.runAsGroup : podSc.runAsGroup;
  if (!Number.isInteger(gid) || gid === 0) {
    report.fail(w, `runAsGroup must be a non-zero gid (is ${JSON.stringify(gid)})`);
  }
  if (sc.readOnlyRootFilesystem !== true) {
    report.fail(w, "readOnlyRootFilesystem must be true");
  }
  if (sc.allowPrivilegeEscalation !== false) {
    report.fail(w, "allowPrivilegeEscalation must be false (privilege escalation allowed)");
  }
  if (sc.privileged === true) report.fail(w, "must not be privileged");
  const drop = (sc.capabilities && sc.capabilities.drop) || [];
  if (!drop.includes("ALL")) report.fail(w, "capabilities.drop must include ALL");
  if (sc.capabilities && (sc.capabilities.add || []).length > 0) {
    report.fail(w, `capabilities.add must be empty (is ${JSON.stringify(sc.capabilities.add)})`);
  }
  const seccomp = (sc.seccompProfile || podSc.seccompProfile || {}).type;
  if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
    report.fail(w, `seccompProfile must be RuntimeDefault (is ${JSON.stringify(seccomp)})`);
  }
  const problem = imageProblem(c.image);
  if (problem) report.fail(w, problem);

  const resources = c.resources || {};
  for (const kind of ["requests", "limits"]) {
    for (const resource of ["cpu", "memory"]) {
      if (!resources[kind] || resources[kind][resource] === undefined) {
        report.fail(w, `resources.${kind}.${resource} is missing`);
      }
    }
  }
  return problem === null;
}

function checkDeployment(dep, ctx, report) {
  const where = objectName(dep);
  const spec = dep.spec || {};
  const template = spec.template || {};
  const pod = template.spec || {};
  const podLabels = (template.metadata && template.metadata.labels) || {};
  if (!labelsMatch(spec.selector && spec.selector.matchLabels, podLabels)) {
    report.fail(where, "spec.selector.matchLabels does not match the pod template's labels");
  }
  if (pod.automountServiceAccountToken !== false) {
    const sa = ctx.serviceAccounts.get(pod.serviceAccountName || "default");
    if (!sa || sa.automountServiceAccountToken !== false) {
      report.fail(where, "the service account token is mounted (set " +
                         "automountServiceAccountToken: false)");
    }
  }
  if (pod.serviceAccountName && !ctx.serviceAccounts.has(pod.serviceAccountName)) {
    report.fail(where, `serviceAccountName ${pod.serviceAccountName} is not in the manifests`);
  }
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) {
    report.fail(where, "must not use the host's network, PID or IPC namespace");
  }
  const volumes = new Map((pod.volumes || []).map((v) => [v.name, v]));
  for (const [name, v] of volumes) {
    if (v.hostPath) report.fail(where, `volume ${name} is a hostPath`);
  }
  const containers = pod.containers || [];
  if (containers.length === 0) report.fail(where, "has no containers");
  for (const c of pod.initContainers || []) checkContainer(c, pod, ctx, `${where} init`, report);

  for (const c of containers) {
    const w = `${where} container ${c.name}`;
    checkContainer(c, pod, ctx, where, report);
    const env = effectiveEnv(c, ctx.configMaps, w, report);
    ctx.deploymentEnv.set(dep.metadata.name, env);
    const get = (name) => (env.has(name) ? env.get(name).value : undefined);

    for (const [name, entry] of env) {
      if (!ctx.settings.fromSources.has(name) && !ctx.settings.fromContract.has(name)) {
        report.fail(w, `env ${name} (${entry.from}) is not a setting the server reads`);
      } else if (!ctx.settings.fromSources.has(name)) {
        report.note(`${w}: ${name} is in the contract but not read by service/ or adapters/ ` +
                    "yet");
      }
      if (/(_API_KEY|_TOKEN_KEY|_TOKEN_KEY_PREVIOUS)$/.test(name) &&
          (entry.value !== undefined || entry.valueFrom)) {
        report.fail(w, `env ${name} puts a secret in the environment: use ${name}_FILE`);
      }
    }

    // Every _FILE setting must point into a mounted volume; secrets are mounted whole, never
    // by subPath (a subPath mount is not updated when the Secret changes).
    const mounts = c.volumeMounts || [];
    for (const m of mounts) {
      if (!volumes.has(m.name)) report.fail(w, `volumeMount ${m.name} has no volume`);
      const v = volumes.get(m.name) || {};
      if (v.secret && m.subPath) {
        report.fail(w, `Secret volume ${m.name} is mounted with subPath: a rotated Secret ` +
                       "would never reach the pod");
      }
      if (v.secret && m.readOnly !== true) {
        report.fail(w, `Secret volume ${m.name} must be mounted readOnly`);
      }
    }
    for (const [name, entry] of env) {
      if (!name.endsWith("_FILE") || typeof entry.value !== "string") continue;
      const mount = mounts.find((m) => entry.value.startsWith(m.mountPath.replace(/\/$/, "") + "/"));
      if (!mount) {
        report.fail(w, `env ${name}=${entry.value} is not inside a mounted volume`);
        continue;
      }
      const v = volumes.get(mount.name) || {};
      if (!v.secret) {
        report.fail(w, `env ${name}=${entry.value} is in volume ${mount.name}, not a Secret`);
      } else if (v.secret.items) {
        const key = entry.value.slice(mount.mountPath.replace(/\/$/, "").length + 1);
        if (!v.secret.items.some((i) => i.path === key)) {
          report.fail(w, `env ${name}=${entry.value}: the volume's items have no ${key}`);
        }
      }
    }

    // Writable places: only emptyDir (tmpfs or node disk) volumes.
    for (const m of mounts) {
      const v = volumes.get(m.name) || {};
      if (!m.readOnly && !v.emptyDir && !v.secret && !v.configMap) {
        report.fail(w, `volume ${m.name} is writable and not an emptyDir`);
      }
    }

    const ports = new Map((c.ports || []).map((p) => [p.name, p.containerPort]));
    const containerPorts = new Set(ports.values());
    const listenPort = portOfListen(get("JOBFACADE_LISTEN")) || kDefaultListenPort;
    if (!containerPorts.has(listenPort)) {
      report.fail(w, `the gRPC port ${listenPort} (JOBFACADE_LISTEN) is not a containerPort`);
    }
    const metricsListen = get("JOBFACADE_METRICS_LISTEN");
    if (metricsListen !== "off" && !containerPorts.has(portOfListen(metricsListen) || 9090)) {
      report.fail(w, "the metrics port (JOBFACADE_METRICS_LISTEN) is not a containerPort");
    }
    if (get("JOBFACADE_LOG_FORMAT") !== "json") {
      report.fail(w, `JOBFACADE_LOG_FORMAT must be json (is ${JSON.stringify(get("JOBFACADE_LOG_FORMAT"))})`);
    }
    for (const name of ["JOBFACADE_MAX_CONNECTION_AGE", "JOBFACADE_MAX_CONNECTION_AGE_GRACE",
                        "JOBFACADE_KEEPALIVE_TIME"]) {
      if (get(name) === undefined) report.fail(w, `${name} is not set`);
    }
    const tlsOn = Boolean(get("JOBFACADE_TLS_CERT_FILE"));
    const health = get("JOBFACADE_HEALTH_LISTEN");
    const healthPort = health && health !== "off" ? portOfListen(health) : null;
    if (tlsOn !== Boolean(get("JOBFACADE_TLS_KEY_FILE"))) {
      report.fail(w, "set both JOBFACADE_TLS_CERT_FILE and JOBFACADE_TLS_KEY_FILE, or neither");
    }
    if (tlsOn && healthPort === null) {
      report.fail(w, "TLS is on but JOBFACADE_HEALTH_LISTEN is not: the kubelet's gRPC probes " +
                     "speak plaintext only");
    }
    if (healthPort !== null && !containerPorts.has(healthPort)) {
      report.fail(w, `the health port ${healthPort} (JOBFACADE_HEALTH_LISTEN) is not a containerPort`);
    }
    ctx.tls.set(dep.metadata.name, tlsOn);

    for (const probeName of ["readinessProbe", "livenessProbe", "startupProbe"]) {
      const probe = c[probeName];
      if (!probe) {
        if (probeName !== "startupProbe") report.fail(w, `${probeName} is missing`);
        continue;
      }
      if (!probe.grpc) {
        report.fail(w, `${probeName} is not a native gRPC probe (grpc: {port, service})`);
        continue;
      }
      const port = probe.grpc.port;
      if (tlsOn && port !== healthPort) {
        report.fail(w, `${probeName} probes port ${port}, but the main port serves TLS: ` +
                       `it must probe the plaintext health port ${healthPort} ` +
                       "(JOBFACADE_HEALTH_LISTEN)");
      } else if (!tlsOn && port !== listenPort && port !== healthPort) {
        report.fail(w, `${probeName} probes port ${port}, which is neither the gRPC port ` +
                       `${listenPort} nor the health port`);
      }
      const service = probe.grpc.service || "";
      if (probeName === "readinessProbe" && service !== kHealthService) {
        report.fail(w, `readinessProbe must ask for the service ${kHealthService} (asks ` +
                       `${JSON.stringify(service)})`);
      }
      if (probeName === "livenessProbe" && service !== "") {
        report.fail(w, `livenessProbe must ask for the overall service "" (asks ` +
                       `${JSON.stringify(service)}): a vendor's trouble must not restart the pod`);
      }
    }

    const graceText = get("JOBFACADE_SHUTDOWN_GRACE_SECONDS");
    const grace = graceText === undefined ? kDefaultShutdownGraceSeconds : Number(graceText);
    if (!Number.isFinite(grace)) {
      report.fail(w, `JOBFACADE_SHUTDOWN_GRACE_SECONDS is not a number: ${graceText}`);
    }
    const period = pod.terminationGracePeriodSeconds === undefined ? 30 :
        pod.terminationGracePeriodSeconds;
    const sleep = preStopSleepSeconds(c);
    if (!(period > grace + sleep)) {
      report.fail(w, `terminationGracePeriodSeconds ${period} must exceed ` +
                     `JOBFACADE_SHUTDOWN_GRACE_SECONDS ${grace} plus the preStop sleep ${sleep}`);
    }
    if (sleep === 0) {
      report.fail(w, "no preStop sleep: the pod would stop serving before its endpoints are " +
                     "removed");
    }

    if (ctx.options.prod) {
      if (get("JOBFACADE_SANDBOX") !== "false") {
        report.fail(w, `production needs JOBFACADE_SANDBOX=false (is ` +
                       `${JSON.stringify(get("JOBFACADE_SANDBOX"))})`);
      }
      if (!tlsOn) report.fail(w, "production needs TLS (JOBFACADE_TLS_CERT_FILE/_KEY_FILE)");
    }
  }
  if (ctx.options.prod) {
    const replicas = spec.replicas === undefined ? 1 : spec.replicas;
    if (!(replicas >= 2)) report.fail(where, `production needs replicas >= 2 (is ${replicas})`);
  }
}

function checkService(svc, ctx, report) {
  const where = objectName(svc);
  const spec = svc.spec || {};
  const deps = ctx.deployments.filter((d) =>
    labelsMatch(spec.selector, (d.spec.template.metadata || {}).labels || {}));
  if (deps.length === 0) report.fail(where, "its selector matches no Deployment's pods");
  const portNames = new Set();
  const portNumbers = new Set();
  for (const d of deps) {
    for (const c of d.spec.template.spec.containers || []) {
      for (const p of c.ports || []) { portNames.add(p.name); portNumbers.add(p.containerPort); }
    }
  }
  for (const p of spec.ports || []) {
    const target = p.targetPort === undefined ? p.port : p.targetPort;
    if (deps.length && !(typeof target === "string" ? portNames.has(target) : portNumbers.has(target))) {
      report.fail(where, `port ${p.name} targets ${target}, which the pods do not declare`);
    }
  }
}

function checkSelectorTarget(obj, selector, ctx, report) {
  const matches = ctx.deployments.some((d) =>
    labelsMatch(selector, (d.spec.template.metadata || {}).labels || {}));
  if (!matches) report.fail(objectName(obj), "its selector matches no Deployment's pods");
}

const kDuration = /^(\d+(ms|s|m|h|d|w|y))+$/;

function checkServiceMonitor(sm, ctx, report) {
  const where = objectName(sm);
  const spec = sm.spec;
  if (!spec || typeof spec !== "object") { report.fail(where, "spec is missing"); return; }
  const matchLabels = spec.selector && spec.selector.matchLabels;
  if (!matchLabels || typeof matchLabels !== "object" || !Object.keys(matchLabels).length) {
    report.fail(where, "spec.selector.matchLabels must be a non-empty map");
    return;
  }
  if (!Array.isArray(spec.endpoints) || spec.endpoints.length === 0) {
    report.fail(where, "spec.endpoints must be a non-empty list");
    return;
  }
  const services = ctx.services.filter((s) => labelsMatch(matchLabels, s.metadata.labels || {}) &&
      (s.metadata.namespace || "") === (sm.metadata.namespace || ""));
  if (services.length === 0) {
    report.fail(where, "spec.selector matches no Service in its namespace");
  }
  spec.endpoints.forEach((e, i) => {
    if (typeof e.port !== "string" || !e.port) {
      report.fail(where, `spec.endpoints[${i}].port must name a Service port`);
    } else if (services.length && !services.every((s) => (s.spec.ports || []).some((p) => p.name === e.port))) {
      report.fail(where, `spec.endpoints[${i}].port ${e.port} is not a port of every selected Service`);
    }
    for (const field of ["interval", "scrapeTimeout"]) {
      if (e[field] !== undefined && !(typeof e[field] === "string" && kDuration.test(e[field]))) {
        report.fail(where, `spec.endpoints[${i}].${field} is not a duration: ${JSON.stringify(e[field])}`);
      }
    }
    if (e.path !== undefined && !(typeof e.path === "string" && e.path.startsWith("/"))) {
      report.fail(where, `spec.endpoints[${i}].path must start with /`);
    }
  });
}

function balanced(expr) {
  let depth = 0;
  let quote = null;
  for (const ch of expr) {
    if (quote) { if (ch === quote) quote = null; continue; }
    if (ch === '"' || ch === "'" || ch === "`") { quote = ch; continue; }
    if ("({[".includes(ch)) ++depth;
    else if (")}]".includes(ch) && --depth < 0) return false;
  }
  return depth === 0 && quote === null;
}

function checkPrometheusRule(rule, ctx, report) {
  const where = objectName(rule);
  const groups = rule.spec && rule.spec.groups;
  if (!Array.isArray(groups) || groups.length === 0) {
    report.fail(where, "spec.groups must be a non-empty list");
    return;
  }
  groups.forEach((g, gi) => {
    if (typeof g.name !== "string" || !g.name) report.fail(where, `spec.groups[${gi}].name is missing`);
    if (!Array.isArray(g.rules) || g.rules.length === 0) {
      report.fail(where, `spec.groups[${gi}].rules must be a non-empty list`);
      return;
    }
    g.rules.forEach((r, ri) => {
      const at = `spec.groups[${gi}].rules[${ri}]`;
      const isAlert = typeof r.alert === "string" && r.alert !== "";
      const isRecord = typeof r.record === "string" && r.record !== "";
      if (isAlert === isRecord) report.fail(where, `${at} needs exactly one of alert and record`);
      if (typeof r.expr !== "string" || !r.expr.trim()) {
        report.fail(where, `${at}.expr must be a non-empty string`);
        return;
      }
      if (!balanced(r.expr)) report.fail(where, `${at}.expr has unbalanced brackets or quotes`);
      for (const m of r.expr.matchAll(/\b(jobfacade_[a-z0-9_]+)/g)) {
        if (!ctx.metrics.has(m[1])) {
          report.fail(where, `${at}.expr uses ${m[1]}, which the server does not export`);
        }
      }
      if (r.for !== undefined && !(typeof r.for === "string" && kDuration.test(r.for))) {
        report.fail(where, `${at}.for is not a duration: ${JSON.stringify(r.for)}`);
      }
      if (isAlert) {
        if (!r.labels || typeof r.labels.severity !== "string") {
          report.fail(where, `${at} (${r.alert}) has no severity label`);
        }
        if (!r.annotations || typeof r.annotations.summary !== "string") {
          report.fail(where, `${at} (${r.alert}) has no summary annotation`);
        }
      }
    });
  });
}

function imageUserOf(repo) {
  const dockerfile = path.join(repo, "deploy", "Dockerfile");
  if (!fs.existsSync(dockerfile)) return null;
  const users = [...fs.readFileSync(dockerfile, "utf8").matchAll(/^USER\s+(\d+)/gm)];
  return users.length ? Number(users[users.length - 1][1]) : null;
}

async function validate(text, options) {
  const report = new Report();
  const objects = parseDocuments(text, report);
  if (objects.length === 0 && report.problems.length === 0) {
    report.fail("input", "no objects");
  }
  const valid = [];
  for (const obj of objects) {
    if (await validateSchema(obj, report)) valid.push(obj);
  }
  const ofKind = (kind) => valid.filter((o) => o.kind === kind);
  const ctx = {
    options,
    settings: knownSettings(options.repo),
    metrics: knownMetrics(options.repo),
    imageUser: imageUserOf(options.repo),
    configMaps: new Map(ofKind("ConfigMap").map((o) => [o.metadata.name, o])),
    serviceAccounts: new Map(ofKind("ServiceAccount").map((o) => [o.metadata.name, o])),
    deployments: ofKind("Deployment"),
    services: ofKind("Service"),
    deploymentEnv: new Map(),
    tls: new Map(),
  };
  if (ctx.deployments.length === 0) report.fail("manifests", "no Deployment");
  for (const dep of ctx.deployments) checkDeployment(dep, ctx, report);
  for (const svc of ctx.services) checkService(svc, ctx, report);
  if (!ctx.services.some((s) => s.spec.clusterIP === "None")) {
    report.fail("manifests", "no headless Service (clusterIP: None) for client-side balancing");
  }
  if (!ctx.services.some((s) => s.spec.clusterIP !== "None" &&
                                (s.spec.type || "ClusterIP") === "ClusterIP")) {
    report.fail("manifests", "no ClusterIP Service");
  }
  for (const pdb of ofKind("PodDisruptionBudget")) {
    checkSelectorTarget(pdb, pdb.spec.selector && pdb.spec.selector.matchLabels, ctx, report);
  }
  if (ofKind("PodDisruptionBudget").length === 0) report.fail("manifests", "no PodDisruptionBudget");
  const hpas = ofKind("HorizontalPodAutoscaler");
  if (hpas.length === 0) report.fail("manifests", "no HorizontalPodAutoscaler");
  for (const hpa of hpas) {
    const ref = hpa.spec.scaleTargetRef || {};
    if (ref.kind !== "Deployment" || !ctx.deployments.some((d) => d.metadata.name === ref.name)) {
      report.fail(objectName(hpa), `scaleTargetRef ${ref.kind}/${ref.name} is not in the manifests`);
    }
    const min = hpa.spec.minReplicas === undefined ? 1 : hpa.spec.minReplicas;
    if (min > hpa.spec.maxReplicas) {
      report.fail(objectName(hpa), `minReplicas ${min} is above maxReplicas ${hpa.spec.maxReplicas}`);
    }
    if (options.prod && !(min >= 2)) {
      report.fail(objectName(hpa), `production needs minReplicas >= 2 (is ${min})`);
    }
  }
  const policies = ofKind("NetworkPolicy");
  if (policies.length === 0) report.fail("manifests", "no NetworkPolicy");
  for (const np of policies) {
    checkSelectorTarget(np, np.spec.podSelector && np.spec.podSelector.matchLabels, ctx, report);
  }
  for (const sm of valid.filter((o) => o.kind === "ServiceMonitor")) checkServiceMonitor(sm, ctx, report);
  for (const pr of valid.filter((o) => o.kind === "PrometheusRule")) checkPrometheusRule(pr, ctx, report);
  if (options.monitoring) {
    for (const kind of ["ServiceMonitor", "PrometheusRule"]) {
      if (!valid.some((o) => o.kind === kind)) report.fail("manifests", `no ${kind}`);
    }
  }
  for (const secret of ofKind("Secret")) {
    report.fail(objectName(secret), "a Secret in the rendered manifests: secrets are created " +
                                    "from files, not kept in the repository");
  }
  return {report, count: objects.length};
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`validate_manifests: ${err.message}`);
    return 2;
  }
  if (!options) {
    console.log(fs.readFileSync(__filename, "utf8").split("\n").slice(1, 13)
                  .map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
    return 0;
  }
  const text = options.file === "-" ? fs.readFileSync(0, "utf8") :
      fs.readFileSync(options.file, "utf8");
  const {report, count} = await validate(text, options);
  for (const note of new Set(report.notes)) console.log(`note: ${note}`);
  for (const problem of report.problems) console.log(`FAIL: ${problem}`);
  console.log(`validate_manifests: ${count} objects, ${report.problems.length} problems`);
  return report.problems.length ? 1 : 0;
}

module.exports = {validate};

if (require.main === module) {
  main().then((code) => process.exit(code), (err) => {
    console.error(`validate_manifests: ${err.stack || err}`);
    process.exit(2);
  });
}
