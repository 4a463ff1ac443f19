// validate_manifests.js rejects broken manifests, each with a message naming the fault, and
// passes the real overlays. The overlays are rendered once with the kubectl named by KUBECTL.
//
//   KUBECTL=/usr/bin/kubectl node --test tests/deploy/validate_manifests_test.js
"use strict";

const assert = require("node:assert/strict");
const {execFileSync, spawnSync} = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const test = require("node:test");
const yaml = require("js-yaml");

const kRepo = path.resolve(__dirname, "..", "..");
const kValidator = path.join(__dirname, "validate_manifests.js");
const kubectl = process.env.KUBECTL || "kubectl";

function render(overlay) {
  return execFileSync(kubectl, ["kustomize", path.join(kRepo, "deploy", "k8s", "overlays", overlay)],
                      {encoding: "utf8", timeout: 60000, stdio: ["ignore", "pipe", "pipe"]});
}

const rendered = {};
function objects(overlay) {
  if (!rendered[overlay]) rendered[overlay] = render(overlay);
  return yaml.safeLoadAll(rendered[overlay]).filter(Boolean);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "validate-manifests-"));
process.on("exit", () => fs.rmSync(tmp, {recursive: true, force: true}));

// Runs the validator's command line on the given objects (or YAML text).
function run(input, flags = []) {
  const text = typeof input === "string" ? input :
      input.map((o) => yaml.safeDump(o, {noRefs: true})).join("---\n");
  const file = path.join(tmp, `manifests-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, text);
  const result = spawnSync(process.execPath, [kValidator, ...flags, file],
                           {encoding: "utf8", timeout: 60000});
  return {code: result.status, out: result.stdout + result.stderr};
}

// A copy of an overlay's objects with `mutate` applied to its Deployment (and pod spec,
// container).
function broken(overlay, mutate) {
  const objs = JSON.parse(JSON.stringify(objects(overlay)));
  const dep = objs.find((o) => o.kind === "Deployment");
  const pod = dep.spec.template.spec;
  mutate({objs, dep, pod, container: pod.containers[0]});
  return objs;
}

function assertRejected(result, ...patterns) {
  assert.equal(result.code, 1, `expected a rejection (exit 1), got ${result.code}:\n${result.out}`);
  for (const pattern of patterns) {
    assert.match(result.out, pattern, `no message matching ${pattern} in:\n${result.out}`);
  }
}

test("the real overlays pass", () => {
  for (const [overlay, flags] of [["dev", []], ["prod", ["--prod"]],
                                  ["prod-monitoring", ["--prod", "--monitoring"]]]) {
    const result = run(objects(overlay), flags);
    assert.equal(result.code, 0, `${overlay}:\n${result.out}`);
    assert.match(result.out, /0 problems/);
  }
});

test("dev is not production: sandbox allowed, one replica, plaintext", () => {
  assertRejected(run(objects("dev"), ["--prod"]), /JOBFACADE_SANDBOX=false/,
                 /production needs TLS/, /replicas >= 2 \(is 1\)/, /minReplicas >= 2 \(is 1\)/);
});

test("apiVersion apps/v9 is an unknown API", () => {
  assertRejected(run(broken("prod", ({dep}) => { dep.apiVersion = "apps/v9"; }), ["--prod"]),
                 /Deployment\/jobfacade: unknown apiVersion apps\/v9/);
});

test("an unknown kind is refused", () => {
  assertRejected(run(broken("prod", ({objs}) => {
    objs.push({apiVersion: "v1", kind: "Pood", metadata: {name: "x"}});
  }), ["--prod"]), /Pood\/x: unknown kind Pood in apiVersion v1/);
});

test('replicas: "two" fails the schema', () => {
  assertRejected(run(broken("prod", ({dep}) => { dep.spec.replicas = "two"; }), ["--prod"]),
                 /Deployment\/jobfacade: schema: spec\.replicas = "two": must be integer/);
});

test("cpu: lots is not a quantity", () => {
  assertRejected(run(broken("prod", ({container}) => {
    container.resources.requests.cpu = "lots";
  }), ["--prod"]), /spec\.template\.spec\.containers\.0\.resources\.requests\.cpu = "lots": .*must be a quantity/);
});

test("a missing readiness probe", () => {
  assertRejected(run(broken("prod", ({container}) => { delete container.readinessProbe; }),
                     ["--prod"]), /container jobfacade: readinessProbe is missing/);
});

test("a missing liveness probe", () => {
  assertRejected(run(broken("dev", ({container}) => { delete container.livenessProbe; })),
                 /container jobfacade: livenessProbe is missing/);
});

test("the latest tag, and no tag at all", () => {
  assertRejected(run(broken("prod", ({container}) => { container.image = "jobfacade:latest"; }),
                     ["--prod"]), /image jobfacade:latest uses the tag latest/);
  assertRejected(run(broken("prod", ({container}) => {
    container.image = "registry.example.com:5000/jobfacade";
  }), ["--prod"]), /image registry\.example\.com:5000\/jobfacade has no tag/);
});

test("runAsNonRoot false", () => {
  assertRejected(run(broken("prod", ({pod, container}) => {
    pod.securityContext.runAsNonRoot = false;
    container.securityContext.runAsNonRoot = false;
  }), ["--prod"]), /runAsNonRoot must be true \(is false\)/);
});

test("the other pod security rules", () => {
  assertRejected(run(broken("prod", ({container}) => {
    container.securityContext.allowPrivilegeEscalation = true;
    container.securityContext.readOnlyRootFilesystem = false;
    container.securityContext.capabilities.drop = ["NET_RAW"];
    delete container.securityContext.seccompProfile;
  }).map((o) => {
    if (o.kind === "Deployment") delete o.spec.template.spec.securityContext.seccompProfile;
    return o;
  }), ["--prod"]), /allowPrivilegeEscalation must be false/, /readOnlyRootFilesystem must be true/,
  /capabilities\.drop must include ALL/, /seccompProfile must be RuntimeDefault/);
});

test("missing resource limits and requests", () => {
  assertRejected(run(broken("dev", ({container}) => {
    delete container.resources.limits.memory;
    delete container.resources.requests.cpu;
  })), /resources\.limits\.memory is missing/, /resources\.requests\.cpu is missing/);
});

test("a termination grace period the drain does not fit in", () => {
  assertRejected(run(broken("prod", ({pod}) => { pod.terminationGracePeriodSeconds = 25; }),
                     ["--prod"]),
                 /terminationGracePeriodSeconds 25 must exceed JOBFACADE_SHUTDOWN_GRACE_SECONDS 20 plus the preStop sleep 10/);
});

test("production with the sandbox allowed", () => {
  assertRejected(run(broken("prod", ({objs}) => {
    objs.find((o) => o.kind === "ConfigMap").data.JOBFACADE_SANDBOX = "true";
  }), ["--prod"]), /production needs JOBFACADE_SANDBOX=false \(is "true"\)/);
});

test("TLS on, but a probe on the TLS port", () => {
  assertRejected(run(broken("prod", ({container}) => {
    container.readinessProbe.grpc.port = 50051;
  }), ["--prod"]), /readinessProbe probes port 50051, but the main port serves TLS: it must probe the plaintext health port 8081/);
});

test("TLS on, and no health port", () => {
  assertRejected(run(broken("prod", ({container}) => {
    container.env = container.env.filter((e) => e.name !== "JOBFACADE_HEALTH_LISTEN");
  }), ["--prod"]), /TLS is on but JOBFACADE_HEALTH_LISTEN is not/);
});

test("readiness on the overall service, liveness on the JobService", () => {
  assertRejected(run(broken("dev", ({container}) => {
    container.readinessProbe.grpc.service = "";
    container.livenessProbe.grpc.service = "jobfacade.v1.JobService";
  })), /readinessProbe must ask for the service jobfacade\.v1\.JobService/,
  /livenessProbe must ask for the overall service ""/);
});

test("a secret in the environment, a key file outside the mounts, a subPath Secret mount", () => {
  assertRejected(run(broken("prod", ({container}) => {
    container.env.push({name: "IONQ_API_KEY", value: "sk-123"});
    container.env.find((e) => e.name === "QBRAID_API_KEY_FILE").value = "/run/qbraid-key";
    container.volumeMounts.find((m) => m.name === "tls").subPath = "tls.crt";
  }), ["--prod"]), /env IONQ_API_KEY puts a secret in the environment/,
  /env QBRAID_API_KEY_FILE=\/run\/qbraid-key is not inside a mounted volume/,
  /Secret volume tls is mounted with subPath/);
});

test("a misspelt setting", () => {
  assertRejected(run(broken("dev", ({container}) => {
    container.env.push({name: "JOBFACADE_SHUTDOWN_GRACE_SECOND", value: "5"});
  })), /env JOBFACADE_SHUTDOWN_GRACE_SECOND \(env\) is not a setting the server reads/);
});

test("a Service whose selector matches no pods, an HPA aimed at nothing", () => {
  assertRejected(run(broken("dev", ({objs}) => {
    objs.find((o) => o.kind === "Service" && o.spec.clusterIP === "None").spec.selector =
        {"app.kubernetes.io/name": "jobfacad"};
    objs.find((o) => o.kind === "HorizontalPodAutoscaler").spec.scaleTargetRef.name = "other";
  })), /Service\/jobfacade-headless: its selector matches no Deployment's pods/,
  /scaleTargetRef Deployment\/other is not in the manifests/);
});

test("monitoring objects with faults", () => {
  assertRejected(run(broken("prod-monitoring", ({objs}) => {
    const rule = objs.find((o) => o.kind === "PrometheusRule");
    rule.spec.groups[0].rules[0].expr = "rate(jobfacade_rpc_total[5m]) > 1";
    rule.spec.groups[0].rules[1].for = "five minutes";
    rule.spec.groups[0].rules[2].expr = "histogram_quantile(0.99, sum(rate(x[5m]))";
    objs.find((o) => o.kind === "ServiceMonitor").spec.endpoints[0].port = "metric";
  }), ["--prod", "--monitoring"]),
  /expr uses jobfacade_rpc_total, which the server does not export/,
  /\.for is not a duration: "five minutes"/, /expr has unbalanced brackets/,
  /spec\.endpoints\[0\]\.port metric is not a port of every selected Service/);
  assertRejected(run(objects("prod"), ["--prod", "--monitoring"]), /no ServiceMonitor/,
                 /no PrometheusRule/);
});

test("not YAML, and nothing at all", () => {
  assertRejected(run("kind: [unclosed\n"), /input: not YAML/);
  assertRejected(run(""), /input: no objects/);
});

test("check_kustomize_compat refuses what kustomize v2.0.3 cannot render", () => {
  const copy = path.join(tmp, "k8s");
  fs.cpSync(path.join(kRepo, "deploy", "k8s"), copy, {recursive: true});
  const compat = path.join(__dirname, "check_kustomize_compat.js");
  const ok = spawnSync(process.execPath, [compat, copy], {encoding: "utf8", timeout: 60000});
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  fs.appendFileSync(path.join(copy, "overlays", "prod", "kustomization.yaml"),
                    "components:\n  - ../../components/monitoring\nlabels:\n  - pairs: {a: b}\n");
  fs.appendFileSync(path.join(copy, "overlays", "dev", "deployment-patch.yaml"),
                    "          livenessProbe:\n            grpc:\n              port: 8081\n");
  fs.writeFileSync(path.join(copy, "components", "monitoring", "kustomization.yaml"),
                   "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n" +
                   "resources:\n  - servicemonitor.yaml\n  - ../../base\n");
  const bad = spawnSync(process.execPath, [compat, copy], {encoding: "utf8", timeout: 60000});
  assert.equal(bad.status, 1, bad.stdout + bad.stderr);
  for (const pattern of [/field components is newer than kustomize v2\.0\.3/,
                         /field labels is newer than kustomize v2\.0\.3: use commonLabels/,
                         /sets livenessProbe\.grpc .*use patchesJson6902/,
                         /kind Component: kustomize v2\.0\.3 knows only Kustomization/,
                         /resource \.\.\/\.\.\/base is outside the kustomization/]) {
    assert.match(bad.stdout, pattern);
  }
});
