#!/usr/bin/env python3
"""Static checks of the deploy files, for machines without Docker or a Kubernetes cluster.

Checks that deploy/k8s/*.yaml parse and hang together (every Secret key, volume, port and
*_FILE path a Deployment refers to exists; probes hit the gRPC port; the pod runs non-root
with a read-only root fs as the image's user; every env name is one the server reads), and
that deploy/Dockerfile only COPYs paths that exist and that deploy/setup.sh's Debian packages
are known to apt (when apt-cache is available). Prints one line per finding; exits 1 on any.
"""

import glob
import os
import re
import shutil
import subprocess
import sys

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
K8S = os.path.join(REPO, "deploy", "k8s")
problems = []


def problem(message):
    problems.append(message)
    print("FAIL: " + message)


def load_k8s():
    docs = []
    with open(os.path.join(K8S, "kustomization.yaml")) as f:
        kustomization = yaml.safe_load(f)
    for name in kustomization["resources"]:
        path = os.path.join(K8S, name)
        if not os.path.exists(path):
            problem(f"kustomization.yaml lists missing {name}")
            continue
        with open(path) as f:
            docs.extend(d for d in yaml.safe_load_all(f) if d)
    listed = set(kustomization["resources"])
    for name in os.listdir(K8S):
        if name.endswith(".yaml") and name != "kustomization.yaml" and name not in listed:
            problem(f"{name} is not listed in kustomization.yaml")
    return docs


def server_env_names():
    """Environment names the server reads: service/config.cc, and each vendor's settings as
    its declaration in adapters/<vendor>/<vendor>_vendor.cc names them (the key, the key's
    _FILE form, the base URL)."""
    with open(os.path.join(REPO, "service", "config.cc")) as f:
        names = set(re.findall(r'"(JOBFACADE_[A-Z_]+)"', f.read()))
    for path in glob.glob(os.path.join(REPO, "adapters", "*", "*_vendor.cc")):
        with open(path) as f:
            text = f.read()
        for key, base_url in re.findall(r'\{"([A-Z][A-Z0-9_]*_API_KEY)", "([A-Z][A-Z0-9_]*_BASE_URL)"',
                                        text):
            names.update({key, key + "_FILE", base_url})
    return names


def dockerfile_user():
    with open(os.path.join(REPO, "deploy", "Dockerfile")) as f:
        users = re.findall(r"^USER\s+(\d+)(?::(\d+))?", f.read(), re.M)
    return int(users[-1][0]) if users else None


def check_k8s():
    docs = load_k8s()
    by_kind = {}
    for doc in docs:
        for key in ("apiVersion", "kind", "metadata"):
            if key not in doc:
                problem(f"a document lacks {key}: {str(doc)[:80]}")
        by_kind.setdefault(doc.get("kind"), []).append(doc)
    secrets = {d["metadata"]["name"]: set((d.get("stringData") or {}) | (d.get("data") or {}))
               for d in by_kind.get("Secret", [])}
    env_names = server_env_names()
    deployments = by_kind.get("Deployment", [])
    if not deployments:
        problem("no Deployment")
    for dep in deployments:
        spec = dep["spec"]
        template = spec["template"]
        labels = template["metadata"]["labels"]
        for key, value in spec["selector"]["matchLabels"].items():
            if labels.get(key) != value:
                problem(f"Deployment selector {key}={value} does not match the pod labels")
        pod = template["spec"]
        if not pod.get("terminationGracePeriodSeconds"):
            problem("no terminationGracePeriodSeconds")
        pod_sc = pod.get("securityContext", {})
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for name, volume in volumes.items():
            if "secret" in volume and volume["secret"]["secretName"] not in secrets:
                problem(f"volume {name} mounts unknown Secret {volume['secret']['secretName']}")
        for container in pod["containers"]:
            sc = container.get("securityContext", {})
            if not (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")):
                problem(f"{container['name']}: runAsNonRoot is not set")
            if not sc.get("readOnlyRootFilesystem"):
                problem(f"{container['name']}: root filesystem is writable")
            if sc.get("allowPrivilegeEscalation", True):
                problem(f"{container['name']}: allowPrivilegeEscalation is not false")
            uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
            if uid != dockerfile_user():
                problem(f"{container['name']}: runAsUser {uid} differs from the image's USER "
                        f"{dockerfile_user()}")
            if "resources" not in container or "requests" not in container["resources"]:
                problem(f"{container['name']}: no resource requests")
            ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
            if ports.get("grpc") != 50051 or ports.get("metrics") != 9090:
                problem(f"{container['name']}: ports {ports} are not grpc 50051, metrics 9090")
            for probe in ("readinessProbe", "livenessProbe"):
                grpc_probe = container.get(probe, {}).get("grpc")
                if not grpc_probe:
                    problem(f"{container['name']}: {probe} is not a gRPC probe")
                elif grpc_probe["port"] not in ports.values():
                    problem(f"{container['name']}: {probe} port {grpc_probe['port']} is not a "
                            "container port")
            readiness = container.get("readinessProbe", {}).get("grpc", {})
            if readiness.get("service") != "jobfacade.v1.JobService":
                problem("readiness probe does not ask for jobfacade.v1.JobService")
            mounts = {m["mountPath"].rstrip("/"): m for m in container.get("volumeMounts", [])}
            for mount in mounts.values():
                if mount["name"] not in volumes:
                    problem(f"volumeMount {mount['name']} has no volume")
            env = {e["name"]: e for e in container.get("env", [])}
            for name, entry in env.items():
                if name not in env_names:
                    problem(f"env {name} is not read by the server (service/config.cc)")
                ref = entry.get("valueFrom", {}).get("secretKeyRef")
                if ref and ref["key"] not in secrets.get(ref["name"], set()):
                    problem(f"env {name} refers to missing Secret key {ref['name']}/{ref['key']}")
                if name.endswith("_KEY_FILE"):
                    directory, _, key = entry.get("value", "").rpartition("/")
                    mount = mounts.get(directory)
                    secret = volumes.get(mount["name"], {}).get("secret") if mount else None
                    if not secret or key not in secrets.get(secret["secretName"], set()):
                        problem(f"env {name}={entry.get('value')} is not a mounted Secret key")
                if re.search(r"API_KEY$|TOKEN_KEY$", name) and "value" in entry:
                    problem(f"env {name} holds a secret in plain text")
    services = by_kind.get("Service", [])
    if not services:
        problem("no Service")
    container_port_names = {p["name"] for dep in deployments
                            for c in dep["spec"]["template"]["spec"]["containers"]
                            for p in c.get("ports", [])}
    for svc in services:
        for port in svc["spec"]["ports"]:
            target = port.get("targetPort")
            if isinstance(target, str) and target not in container_port_names:
                problem(f"Service port {port['name']} targets unknown port {target}")
    return len(docs)


def check_dockerfile():
    with open(os.path.join(REPO, "deploy", "Dockerfile")) as f:
        text = f.read()
    copies = 0
    for line in text.splitlines():
        match = re.match(r"^COPY\s+(?!--from)(.*)$", line.strip())
        if not match:
            continue
        parts = [p for p in match.group(1).split() if not p.startswith("--")]
        for source in parts[:-1]:
            copies += 1
            if not os.path.exists(os.path.join(REPO, source)):
                problem(f"Dockerfile COPYs missing path {source}")
    if "-DJOBFACADE_BUILD_TESTS=OFF" not in text:
        problem("Dockerfile does not build with -DJOBFACADE_BUILD_TESTS=OFF")
    for port in ("50051", "9090"):
        if not re.search(rf"^EXPOSE .*\b{port}\b", text, re.M):
            problem(f"Dockerfile does not EXPOSE {port}")
    return copies


def check_packages():
    if not shutil.which("apt-cache"):
        print("skip: apt-cache not available, package names not checked")
        return 0
    with open(os.path.join(REPO, "deploy", "setup.sh")) as f:
        text = f.read()
    names = set()
    for array in re.findall(r"readonly k\w+Packages=\(([^)]*)\)", text):
        names.update(array.split())
    names.update({"nodejs", "npm"})
    for name in sorted(names):
        result = subprocess.run(["apt-cache", "show", "--no-all-versions", name],
                                capture_output=True, text=True, timeout=60)
        if result.returncode != 0 or not result.stdout.strip():
            problem(f"apt-cache does not know the package {name}")
    return len(names)


def main():
    documents = check_k8s()
    copies = check_dockerfile()
    packages = check_packages()
    print(f"checked {documents} Kubernetes documents, {copies} Dockerfile COPY sources, "
          f"{packages} Debian package names")
    failed = 1 if problems else 0
    print(f"deploy: {1 - failed} passed, {failed} failed")
    return failed


if __name__ == "__main__":
    sys.exit(main())
