#!/usr/bin/env python3
"""Static checks of deploy/Dockerfile, for machines without a Docker engine.

Parses the Dockerfile (continuation lines joined, comments dropped) and checks: a build stage
and a runtime stage, both on pinned Debian 12 tags (not latest); the runtime stage's last USER
is a numeric, non-root uid:gid; a HEALTHCHECK that runs jobfacade-probe (directly or through
the COPYed script); the gRPC and metrics ports EXPOSEd; jobfacade, jobctl and jobfacade-probe
built and copied; every COPY source exists in the repository (and is not excluded by
deploy/Dockerfile.dockerignore) or, with --from, names an earlier stage; every Debian package
the Dockerfile or deploy/setup.sh installs is known to apt-cache; and the runtime package list
covers the libraries the binaries link (ldd of a local build, mapped with dpkg -S; skipped
with a message when nothing is built). Prints one line per finding; exits 1 on any.

Usage: check_dockerfile.py [--repo DIR] [--build-dir DIR]
"""

import argparse
import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys

problems = []


def problem(message):
    problems.append(message)
    print("FAIL: " + message)


def instructions(text):
    """(keyword, arguments, line number) of each instruction, continuations joined."""
    result = []
    current, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if current and line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        if not current:
            start = number
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, args = current.strip().partition(" ")
        result.append((keyword.upper(), args.strip(), start))
        current = ""
    if current:
        problem(f"Dockerfile ends inside a continued instruction (line {start})")
    return result


def stages_of(parsed):
    stages = []
    for keyword, args, line in parsed:
        if keyword == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append({"image": words[0], "name": name, "line": line, "body": []})
        elif stages:
            stages[-1]["body"].append((keyword, args, line))
        else:
            if keyword != "ARG":
                problem(f"line {line}: {keyword} before the first FROM")
    return stages


def dockerignore_patterns(path):
    patterns = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    patterns.append(line)
    return patterns


def excluded(rel, patterns):
    """Docker's rule: the last matching pattern wins; a pattern also matches everything below
    a matching directory."""
    result = False
    parts = rel.split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    for pattern in patterns:
        negate = pattern.startswith("!")
        body = pattern[1:] if negate else pattern
        body = body.strip("/")
        regex = fnmatch.translate(body).replace(".*", "[^/]*")
        regex = regex.replace("[^/]*[^/]*/", "(.*/)?")  # **/
        matched = any(re.match(regex, p) for p in prefixes)
        if matched:
            result = not negate
    return result


def check_stages(stages, repo):
    if len(stages) < 2:
        problem(f"expected a build stage and a runtime stage, found {len(stages)} stage(s)")
        return
    build, runtime = stages[0], stages[-1]
    for stage in stages:
        image = stage["image"]
        repo_part, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
        if "@sha256:" in image:
            continue
        if not tag:
            problem(f"line {stage['line']}: FROM {image} has no tag (it would pull latest)")
        elif tag == "latest":
            problem(f"line {stage['line']}: FROM {image} uses the tag latest")
    if not re.match(r"^debian:12(\b|[.-])", build["image"]) or "slim" in build["image"]:
        problem(f"the build stage is {build['image']}, not Debian 12 (debian:12...)")
    if not re.match(r"^debian:12(\.\d+)?-slim$|^debian:bookworm(-\d+)?-slim$", runtime["image"]):
        problem(f"the runtime stage is {runtime['image']}, not debian:12-slim")
    if not build["name"]:
        problem("the build stage has no name (FROM ... AS build)")
    body = " ".join(args for _, args, _ in build["body"])
    if "deploy/setup.sh" not in body:
        problem("the build stage does not install its packages with deploy/setup.sh")
    if "-DJOBFACADE_BUILD_TESTS=OFF" not in body:
        problem("the build stage does not configure with -DJOBFACADE_BUILD_TESTS=OFF")
    for target in ("jobfacade", "jobctl", "jobfacade-probe"):
        if not re.search(rf"--target\b[^&;]*\b{re.escape(target)}(\s|$)", body):
            problem(f"the build stage does not build the target {target}")


def check_runtime(stages):
    runtime = stages[-1]
    users = [(args, line) for keyword, args, line in runtime["body"] if keyword == "USER"]
    if not users:
        problem("the runtime stage sets no USER (it would run as root)")
    else:
        args, line = users[-1]
        match = re.fullmatch(r"(\d+)(?::(\d+))?", args)
        if not match:
            problem(f"line {line}: USER {args} is not numeric uid[:gid] (runAsNonRoot cannot "
                    "verify a name)")
        elif int(match.group(1)) == 0 or (match.group(2) and int(match.group(2)) == 0):
            problem(f"line {line}: USER {args} is root")
    exposed = set()
    for keyword, args, _ in runtime["body"]:
        if keyword == "EXPOSE":
            exposed.update(p.split("/")[0] for p in args.split())
    for port in ("50051", "9090"):
        if port not in exposed:
            problem(f"the runtime stage does not EXPOSE {port}")
    healthchecks = [(args, line) for keyword, args, line in runtime["body"]
                    if keyword == "HEALTHCHECK"]
    if not healthchecks:
        problem("the runtime stage has no HEALTHCHECK")
    return healthchecks


def check_copies(stages, repo, patterns):
    copied = []
    names = set()
    for index, stage in enumerate(stages):
        for keyword, args, line in stage["body"]:
            if keyword not in ("COPY", "ADD"):
                continue
            if keyword == "ADD":
                problem(f"line {line}: ADD (use COPY: ADD also fetches URLs and unpacks)")
            words = shlex.split(args)
            flags = [w for w in words if w.startswith("--")]
            paths = [w for w in words if not w.startswith("--")]
            if len(paths) < 2:
                problem(f"line {line}: COPY needs a source and a destination")
                continue
            sources, destination = paths[:-1], paths[-1]
            from_stage = next((f.split("=", 1)[1] for f in flags if f.startswith("--from=")), None)
            if from_stage is not None:
                if from_stage not in names and not (from_stage.isdigit()
                                                    and int(from_stage) < index):
                    problem(f"line {line}: COPY --from={from_stage} names no earlier stage")
            else:
                for source in sources:
                    full = os.path.join(repo, source)
                    if not os.path.exists(full):
                        problem(f"line {line}: COPY source {source} does not exist in the "
                                "repository")
                    elif excluded(os.path.normpath(source), patterns):
                        problem(f"line {line}: COPY source {source} is excluded by "
                                "deploy/Dockerfile.dockerignore")
            copied.append((stage, from_stage, sources, destination))
        if stage["name"]:
            names.add(stage["name"])
    return copied


def check_healthcheck(healthchecks, copied, runtime_stage, repo):
    for args, line in healthchecks:
        if re.match(r"^NONE\b", args, re.I):
            problem(f"line {line}: HEALTHCHECK NONE")
            continue
        if "jobfacade-probe" in args:
            continue
        # CMD ["/usr/local/bin/script"]: the script COPYed from the repository must run it.
        script = None
        for _, from_stage, sources, destination in copied:
            if from_stage is None and destination in args and len(sources) == 1:
                script = os.path.join(repo, sources[0])
        if script and os.path.isfile(script):
            with open(script) as f:
                text = f.read()
            if "jobfacade-probe" not in text:
                problem(f"line {line}: HEALTHCHECK script {script} does not run jobfacade-probe")
            elif "--service jobfacade.v1.JobService" not in text:
                problem(f"line {line}: HEALTHCHECK script does not ask for "
                        "jobfacade.v1.JobService")
        else:
            problem(f"line {line}: HEALTHCHECK does not run jobfacade-probe")
    runtime_copies = " ".join(" ".join(s) + " " + d for stage, _, s, d in copied
                              if stage is runtime_stage)
    for binary in ("jobfacade", "jobctl", "jobfacade-probe"):
        if not re.search(rf"(^|[/ ]){re.escape(binary)}(\s|$)", runtime_copies):
            problem(f"the image does not COPY the {binary} binary")


def apt_known(names):
    """The names apt-cache has a package stanza for, asked in one call (one call per name
    costs a second or more each)."""
    result = subprocess.run(["apt-cache", "show", "--no-all-versions"] + sorted(names),
                            capture_output=True, text=True, timeout=120)
    return set(re.findall(r"^Package: (\S+)$", result.stdout, re.M))


def runtime_packages(repo):
    path = os.path.join(repo, "deploy", "runtime-packages.txt")
    if not os.path.exists(path):
        problem("deploy/runtime-packages.txt is missing")
        return []
    with open(path) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def check_packages(stages, repo, runtime):
    if not shutil.which("apt-cache"):
        print("skip: apt-cache not available, Debian package names not checked")
        return
    names = set(runtime)
    for stage in stages:
        for keyword, args, _ in stage["body"]:
            if keyword != "RUN":
                continue
            for match in re.finditer(r"apt-get install ([^&|;]*)", args):
                names.update(w for w in match.group(1).split()
                             if not w.startswith("-") and re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", w))
    with open(os.path.join(repo, "deploy", "setup.sh")) as f:
        text = f.read()
    for array in re.findall(r"readonly k\w+Packages=\(([^)]*)\)", text, re.S):
        names.update(array.split())
    known = apt_known(names)
    unknown = [name for name in sorted(names) if name not in known]
    for name in unknown:
        problem(f"apt-cache does not know the Debian package {name}")
    print(f"checked {len(names)} Debian package names with apt-cache")


def owners_of(libs):
    """lib path -> owning package, from one dpkg -S call. ldd may print /lib or /usr/lib paths
    (merged /usr), so both spellings of each are asked."""
    candidates = {}
    for lib in libs:
        for path in {lib, "/usr" + lib, lib[4:] if lib.startswith("/usr/") else lib}:
            candidates.setdefault(path, lib)
    result = subprocess.run(["dpkg", "-S"] + sorted(candidates), capture_output=True, text=True,
                            timeout=120)
    owners = {}
    for line in result.stdout.splitlines():
        package, _, path = line.partition(": ")
        if path.strip() in candidates:
            owners.setdefault(candidates[path.strip()], package.split(":")[0].strip())
    return owners


def check_linked(build_dir, runtime):
    binaries = [p for p in (os.path.join(build_dir, "service", "jobfacade"),
                            os.path.join(build_dir, "client", "jobctl", "jobctl"),
                            os.path.join(build_dir, "client", "jobctl", "jobfacade-probe"))
                if os.path.isfile(p)]
    if not binaries:
        print(f"skip: no built binaries in {build_dir} (service/jobfacade, client/jobctl/...): "
              "runtime libraries not compared with ldd")
        return
    if not (shutil.which("ldd") and shutil.which("dpkg") and shutil.which("apt-cache")):
        print("skip: ldd, dpkg or apt-cache missing: runtime libraries not compared")
        return
    linked = {}
    for binary in binaries:
        result = subprocess.run(["ldd", binary], capture_output=True, text=True, timeout=60)
        for line in result.stdout.splitlines():
            if "not found" in line:
                problem(f"{binary}: {line.strip()}")
            match = re.search(r"=>\s+(/\S+)", line)
            if match:
                linked.setdefault(match.group(1), binary)
    # The runtime list is installed with its dependencies: everything linked, directly or
    # not, must be in the list or in that closure.
    closure = set(runtime)
    result = subprocess.run(
        ["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
         "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"] + runtime,
        capture_output=True, text=True, timeout=120)
    for line in result.stdout.splitlines():
        line = line.strip()
        if line.startswith(("Depends:", "PreDepends:", "|Depends:", "|PreDepends:")):
            closure.add(line.split(":", 1)[1].strip().strip("<>"))
        elif line and ":" not in line:
            closure.add(line.strip("<>"))
    owner = owners_of(linked)
    owners = set()
    for lib, binary in sorted(linked.items()):
        package = owner.get(lib)
        if package is None:
            problem(f"{binary} links {lib}, which no Debian package owns (a local build?)")
            continue
        owners.add(package)
        if package not in closure:
            problem(f"{binary} links {lib} from {package}, which the runtime image does not "
                    "install (add it to deploy/runtime-packages.txt)")
    print(f"compared {len(linked)} linked libraries of {len(binaries)} binaries "
          f"({len(owners)} packages) with the runtime packages")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--repo", default=os.path.abspath(os.path.join(here, "..", "..")))
    parser.add_argument("--build-dir", default=None)
    # A sanitizer or fuzz build links its runtimes, which the image (a plain build) does not.
    parser.add_argument("--no-linked-check", metavar="WHY", default=None)
    args = parser.parse_args()
    repo = args.repo
    build_dir = args.build_dir or os.path.join(repo, "build")
    with open(os.path.join(repo, "deploy", "Dockerfile")) as f:
        parsed = instructions(f.read())
    stages = stages_of(parsed)
    check_stages(stages, repo)
    if stages:
        healthchecks = check_runtime(stages)
        patterns = dockerignore_patterns(os.path.join(repo, "deploy", "Dockerfile.dockerignore"))
        copied = check_copies(stages, repo, patterns)
        check_healthcheck(healthchecks, copied, stages[-1], repo)
    runtime = runtime_packages(repo)
    check_packages(stages, repo, runtime)
    if args.no_linked_check:
        print(f"skip: linked libraries not compared: {args.no_linked_check}")
    else:
        check_linked(build_dir, runtime)
    print(f"check_dockerfile: {len(stages)} stages, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
