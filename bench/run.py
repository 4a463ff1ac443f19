"""The GetJob benchmark: jobfacade beside the REST call it wraps and beside a Python peer.

Starts nginx as a fast IonQ double (canned job bodies; a 1 s route through nginx's echo module),
the jobfacade-emulator with 100 ms of latency for the vendors/- phase, the Release jobfacade
binary and the Python peer, all on 127.0.0.1, and measures in one run:

  direct     the double called over HTTP by wrk
  engine     the double called through jobfacade's HTTP engine alone (bench/engine_load)
  floor      gRPC's own floor: bench/grpc_floor, the same service answering GetJob at once
             (callback API, as jobfacade; and the completion-queue API)
  jobfacade  GetJob of a RUNNING job (uncached), driven by bench/grpc_load
  peer       the same through bench/python_peer.py
  cached     GetJob of a COMPLETED job (served from the terminal-job cache)
  watch      10,000 WatchJob streams on 100 RUNNING jobs (bench/watch_load): upstream polls,
             threads and memory while they are open, and uncached GetJob beside them
  coalesced  100 concurrent GetJobs of one RUNNING job behind a 1 s vendor
  list       ListJobs vendors/- with three 100 ms vendors
  flood      10,000 GetJobs in flight against the 1 s vendor (limit and queue raised)
  startup    time from exec to the first answered call, and idle RSS

For each: calls/s, p50/p99, jobfacade CPU microseconds per call (from /proc), peak and idle
RSS, threads, and the upstream TCP connections nginx accepted. Writes results.json,
results.md and concurrency.png into --out. --smoke runs every phase briefly and only checks
that every answer is OK (CI).

  python3 bench/run.py --build-dir build-release --out bench/results [--smoke]
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
KEY = "bench-key"
RUNNING_ID = "0d4c7a1e-5b2f-4a8e-9c3d-7f6e5a4b3c21"
DONE_ID = "e1a09d90-b2ba-4ea5-9fd7-4bfc14eac524"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Uncached reads: every call reads a job of its own (RUNNING, so never cached), so that no two
# calls in flight share a vendor request.
RUNNING_PREFIX = "vendors/ionq/jobs/run-"
DISTINCT = ["--distinct=100000000"]


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return {"rss_mb": int(out["VmRSS"].split()[0]) / 1024,
            "peak_rss_mb": int(out["VmHWM"].split()[0]) / 1024,
            "threads": int(out["Threads"])}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


class Nginx:
    """The fast vendor double: IonQ's GET /jobs/{id} from canned bodies."""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "nginx")
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        self.port = free_port()
        self.polls = 0
        with open(os.path.join(HERE, "vendor", "ionq_job_running.json")) as f:
            running = json.dumps(json.load(f), separators=(",", ":"))
        with open(os.path.join(HERE, "vendor", "ionq_job_completed.json")) as f:
            done = json.dumps(json.load(f), separators=(",", ":"))
        running_any = running.replace(RUNNING_ID, "$1")
        for body in (running_any, done):
            assert "'" not in body and "$" not in body.replace("$1", "")
        tmp = os.path.join(self.dir, "tmp")
        conf = f"""
daemon off;
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
worker_rlimit_nofile 65536;
events {{ worker_connections 30000; }}
http {{
  access_log off;
  client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};
  uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
  keepalive_requests 10000000;
  keepalive_timeout 300s;
  server {{
    listen 127.0.0.1:{self.port} backlog=16384;
    default_type application/json;
    location = /nginx_status {{ stub_status; }}
    location ~ ^/fast/v0.4/jobs/([^/]+)$ {{ return 200 '{running_any}'; }}
    location = /fast/v0.4/jobs/{DONE_ID} {{ return 200 '{done}'; }}
    location ~ ^/slow/v0.4/jobs/([^/]+)$ {{ echo_sleep 1; echo '{running_any}'; }}
  }}
}}
"""
        path = os.path.join(self.dir, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen(["nginx", "-c", path, "-p", self.dir],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     preexec_fn=many_fds)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                self.counters()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not start: " + self.proc.stderr.read().decode())

    def url(self, route):
        return f"http://127.0.0.1:{self.port}/{route}"

    def counters(self):
        """(connections accepted, requests) so far, without the polls' own: each poll is a
        connection and a request of its own."""
        text = urllib.request.urlopen(self.url("nginx_status"), timeout=5).read().decode()
        self.polls += 1
        accepts, _handled, requests = map(int, text.splitlines()[2].split())
        return accepts - self.polls, requests - self.polls

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Process:
    """A server started with a line on stdout that names its port."""

    def __init__(self, argv, env, pattern, name):
        self.name = name
        self.started = time.monotonic()
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True,
                                     preexec_fn=many_fds)
        self.address = None
        self.metrics = None
        deadline = time.time() + 30
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{name} exited before serving")
            m = re.search(r"metrics on (\S+)", line)
            if m:
                self.metrics = m.group(1)
            m = re.search(pattern, line)
            if m:
                self.address = m.group(1)
                return
        raise RuntimeError(f"{name} did not start")

    @property
    def pid(self):
        return self.proc.pid

    def metric(self, name):
        text = urllib.request.urlopen(f"http://{self.metrics}/metrics", timeout=5).read().decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_jobfacade(build, env_extra):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "JOBFACADE_LISTEN": "127.0.0.1:0", "JOBFACADE_METRICS_LISTEN": "127.0.0.1:0",
           "JOBFACADE_SANDBOX": "false", "JOBFACADE_PAGE_TOKEN_KEY": "b" * 32}
    env.update(env_extra)
    return Process([os.path.join(build, "service", "jobfacade")], env,
                   r"jobfacade listening on (\S+)", "jobfacade")


def grpc_load(build, target, name, concurrency, duration, extra=()):
    argv = [os.path.join(build, "bench", "grpc_load"), f"--target={target}", f"--name={name}",
            f"--concurrency={concurrency}", f"--duration={duration}", "--warmup=0s", *extra]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=600, preexec_fn=many_fds)
    if run.returncode != 0:
        raise RuntimeError(f"grpc_load failed ({run.returncode}): {run.stderr[-2000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def engine_load(build, url, concurrency, duration):
    argv = [os.path.join(build, "bench", "engine_load"), f"--url={url}",
            f"--header=Authorization: apiKey {KEY}", f"--concurrency={concurrency}",
            f"--duration={duration}"]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        raise RuntimeError(f"engine_load failed ({run.returncode}): {run.stdout}{run.stderr}")
    result = json.loads(run.stdout.strip().splitlines()[-1])
    result["server_cpu_us_per_call"] = result.pop("cpu_us_per_call")  # its own CPU: the client
    return result


def warm(build, target, name, extra=()):
    """Calls made before a measurement (connections, pools, caches), not counted in it."""
    grpc_load(build, target, name, 8, "1s", extra)


def many_fds():
    """Lets a child hold 10,000 connections (the flood phase)."""
    import resource  # pylint: disable=import-outside-toplevel
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def wrk(url, concurrency, duration):
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{duration}", "--latency",
         "-H", f"Authorization: apiKey {KEY}", url],
        check=True, capture_output=True, text=True, timeout=600).stdout

    def micros(text):
        value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
        return float(value) * {"us": 1, "ms": 1e3, "s": 1e6}[unit]

    result = {"calls_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for pct, key in (("50", "p50_us"), ("99", "p99_us")):
        result[key] = micros(re.search(rf"\s{pct}%\s+(\S+)", out).group(1))
    m = re.search(r"(\d+) requests in", out)
    result["calls"] = int(m.group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["codes"] = {"HTTP 200": result["calls"] - (int(errors.group(1)) if errors else 0)}
    if errors:
        result["codes"]["HTTP other"] = int(errors.group(1))
    return result


def measure(server, nginx, run):
    """Runs `run()` and adds the server's CPU per call and the vendor traffic it caused."""
    cpu0 = cpu_seconds(server.pid) if server else 0
    accepts0, requests0 = nginx.counters() if nginx else (0, 0)
    result = run()
    if server:
        calls = max(1, result["calls"])
        result["server_cpu_us_per_call"] = (cpu_seconds(server.pid) - cpu0) * 1e6 / calls
        result.update({f"server_{k}": v for k, v in proc_status(server.pid).items()})
    if nginx:
        accepts1, requests1 = nginx.counters()
        result["upstream_connections"] = accepts1 - accepts0
        result["vendor_requests"] = requests1 - requests0
    return result


def sweep_grpc(phases, label, build, server, nginx, concurrencies, name, duration, extra=()):
    """One measured phase per concurrency: GetJobs of `name` on `server`, as "LABEL c=N"."""
    for c in concurrencies:
        phases[f"{label} c={c}"] = measure(server, nginx, lambda c=c: grpc_load(
            build, server.address, name, c, duration, extra))


def watch_phase(build, server, nginx, watches, jobs, window, duration):
    """`watches` WatchJobs of `jobs` RUNNING jobs held open on `server` (the default 1 s to
    30 s polls): the upstream requests they cause over `window` seconds from the first
    watch, the server's threads and memory while they are open, and then uncached GetJob at
    32 in flight beside them."""
    threads = ThreadSampler(server.pid)
    accepts0, requests0 = nginx.counters()
    cpu0 = cpu_seconds(server.pid)
    started = time.monotonic()
    hold = window + 12 + int(duration.rstrip("s"))
    driver = subprocess.Popen(
        [os.path.join(build, "bench", "watch_load"), f"--target={server.address}",
         "--name=vendors/ionq/jobs/watch-", f"--jobs={jobs}", f"--watches={watches}",
         "--channels=8", f"--hold={hold}s"],
        stdout=subprocess.PIPE, text=True, preexec_fn=many_fds)
    ready = driver.stdout.readline().split()
    opened = int(ready[1]) if len(ready) == 2 and ready[0] == "ready" else 0
    seconds_to_open = time.monotonic() - started
    time.sleep(max(0.0, window - (time.monotonic() - started)))
    accepts1, requests1 = nginx.counters()
    status = proc_status(server.pid)
    result = {"watches": watches, "jobs": jobs, "opened": opened,
              "seconds_to_open": seconds_to_open, "window_s": window,
              "vendor_requests": requests1 - requests0,
              "upstream_connections": accepts1 - accepts0,
              "server_cpu_s_in_window": cpu_seconds(server.pid) - cpu0,
              "watches_open_metric": server.metric("jobfacade_watches_open"),
              **{f"server_{k}": v for k, v in status.items()}}
    # The performance benchmark's uncached GetJob beside the open watches.
    warm(build, server.address, RUNNING_PREFIX, DISTINCT)
    beside = measure(server, nginx, lambda: grpc_load(
        build, server.address, RUNNING_PREFIX, 32, duration, DISTINCT))
    result["getjob_beside_watches"] = {k: beside[k] for k in (
        "calls", "calls_per_second", "p50_us", "p99_us", "server_cpu_us_per_call", "codes")}
    out, _ = driver.communicate(timeout=hold + 120)
    summary = json.loads(out.strip().splitlines()[-1])
    result["server_max_threads"] = threads.stop()
    result["server_peak_rss_mb"] = proc_status(server.pid)["peak_rss_mb"]
    result["driver"] = summary
    result["calls"] = summary["first_jobs"]
    # Every watch got its job, and ended only when the driver cancelled it.
    result["codes"] = {"OK": summary["first_jobs"]} if (
        summary["first_jobs"] == watches and set(summary["ends"]) == {"CANCELLED"}
        and driver.returncode == 0) else {"watch failure": watches - summary["first_jobs"],
                                           **summary["ends"]}
    return result


def all_ok(result):
    return set(result["codes"]) <= {"OK", "HTTP 200"} and result["calls"] > 0


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-dir", default=os.path.join(REPO, "build-release"))
    parser.add_argument("--out", default=os.path.join(HERE, "results"))
    parser.add_argument("--smoke", action="store_true", help="short, checks only that it runs")
    parser.add_argument("--profile", metavar="NAME",
                        help="instead: perf-record jobfacade under 32 uncached GetJobs in flight "
                             "(NAME: running or completed job) and write the report into --out")
    args = parser.parse_args()
    if args.profile:
        return profile(os.path.abspath(args.build_dir), args.out, args.profile)
    build = os.path.abspath(args.build_dir)
    os.makedirs(args.out, exist_ok=True)
    duration = "1s" if args.smoke else "8s"
    sweep = [1, 32] if args.smoke else [1, 4, 16, 32, 64]
    flood_calls = 200 if args.smoke else 10000
    work = tempfile.mkdtemp(prefix="jobfacade-bench-")
    results = {"machine": machine(), "smoke": args.smoke, "phases": {}}
    phases = results["phases"]
    procs = []
    try:
        nginx = Nginx(work)
        procs.append(nginx)
        run_url = nginx.url(f"fast/v0.4/jobs/{RUNNING_ID}")
        log("direct: wrk against the double")
        for c in sweep:
            phases[f"direct c={c}"] = measure(None, nginx, lambda c=c: wrk(run_url, c, duration))

        log("engine: the double through jobfacade's HTTP engine alone")
        for c in (1, 32):
            phases[f"engine c={c}"] = measure(None, nginx, lambda c=c: engine_load(
                build, run_url, c, duration))

        log("floor: an empty GetJob on gRPC's callback and completion-queue APIs")
        for api, concurrencies in (("callback", sweep), ("cq", [1, 32])):
            floor = Process([os.path.join(build, "bench", "grpc_floor"), f"--api={api}"],
                            dict(os.environ), r"grpc_floor listening on (\S+)", "floor")
            procs.append(floor)
            warm(build, floor.address, RUNNING_PREFIX, DISTINCT)
            sweep_grpc(phases, f"floor-{api}", build, floor, None, concurrencies, RUNNING_PREFIX,
                       duration, DISTINCT)
            floor.stop()
            procs.remove(floor)

        started = time.monotonic()
        jf = start_jobfacade(build, {"IONQ_BASE_URL": nginx.url("fast/v0.4"),
                                     "IONQ_API_KEY": KEY})
        procs.append(jf)
        first = grpc_load(build, jf.address, f"vendors/ionq/jobs/{RUNNING_ID}", 1, "10s",
                          extra=["--calls=1"])
        serving_ms = (time.monotonic() - started) * 1e3
        time.sleep(1)
        phases["startup"] = {"serving_ms": serving_ms, "first_call": first["codes"],
                             **{f"idle_{k}": v for k, v in proc_status(jf.pid).items()},
                             "calls": 1, "codes": first["codes"]}
        log("jobfacade: uncached GetJob")
        warm(build, jf.address, RUNNING_PREFIX, DISTINCT)
        sweep_grpc(phases, "jobfacade", build, jf, nginx, sweep, RUNNING_PREFIX, duration,
                   DISTINCT)
        log("cached GetJob")
        warm(build, jf.address, f"vendors/ionq/jobs/{DONE_ID}")
        sweep_grpc(phases, "cached", build, jf, nginx, sweep, f"vendors/ionq/jobs/{DONE_ID}",
                   duration)
        phases["jobfacade after load"] = {"calls": 1, "codes": {"OK": 1},
                                          **proc_status(jf.pid)}

        log("peer: the Python facade")
        gen = os.path.join(work, "gen")
        subprocess.run(["bash", os.path.join(REPO, "client", "python", "gen.sh"), gen],
                       check=True)
        peer = Process(["/usr/bin/python3", os.path.join(HERE, "python_peer.py"),
                        "--gen-dir", gen, "--vendor-url", nginx.url("fast/v0.4"),
                        "--key", KEY], dict(os.environ), r"listening on (\S+)", "peer")
        procs.append(peer)
        warm(build, peer.address, RUNNING_PREFIX, DISTINCT)
        sweep_grpc(phases, "peer", build, peer, nginx, sweep, RUNNING_PREFIX, duration, DISTINCT)
        peer.stop()
        procs.remove(peer)
        jf.stop()
        procs.remove(jf)

        log("watch: 10,000 WatchJob streams on 100 RUNNING jobs")
        watch_count, watch_jobs = (200, 10) if args.smoke else (10000, 100)
        window = 3 if args.smoke else 31  # polls 0, 1, 3, 7, 15 and 31 s into the watch
        watcher = start_jobfacade(build, {"IONQ_BASE_URL": nginx.url("fast/v0.4"),
                                          "IONQ_API_KEY": KEY})
        procs.append(watcher)
        phases["watch"] = watch_phase(build, watcher, nginx, watch_count, watch_jobs, window,
                                      duration)
        watcher.stop()
        procs.remove(watcher)

        log("coalesced and flood: the 1 s vendor")
        slow = start_jobfacade(build, {"IONQ_BASE_URL": nginx.url("slow/v0.4"),
                                       "IONQ_API_KEY": KEY,
                                       "JOBFACADE_VENDOR_MAX_IN_FLIGHT": "10000",
                                       "JOBFACADE_VENDOR_MAX_QUEUED": "10000"})
        procs.append(slow)
        phases["coalesced 100 on one job"] = measure(slow, nginx, lambda: grpc_load(
            build, slow.address, f"vendors/ionq/jobs/{RUNNING_ID}", 100, "60s",
            extra=["--calls=100"]))
        threads = ThreadSampler(slow.pid)
        phases["flood"] = measure(slow, nginx, lambda: grpc_load(
            build, slow.address, "vendors/ionq/jobs/flood-", flood_calls, "120s",
            extra=[f"--calls={flood_calls}", f"--distinct={flood_calls}", "--channels=8"]))
        phases["flood"]["server_max_threads"] = threads.stop()
        slow.stop()
        procs.remove(slow)

        log("list: vendors/- with three 100 ms vendors")
        emulator = Process([os.path.join(build, "tests", "fakes", "jobfacade-emulator"),
                            "--latency-ms=100", "--qbraid-key=bench-q", "--ionq-key=bench-i"],
                           dict(os.environ), r"listening on (\S+)", "emulator")
        procs.append(emulator)
        base = f"http://{emulator.address}"
        lister = start_jobfacade(build, {
            "QBRAID_BASE_URL": base + "/qbraid/api/v1", "QBRAID_API_KEY": "bench-q",
            "IONQ_BASE_URL": base + "/ionq/v0.4", "IONQ_API_KEY": "bench-i",
            "PRAISONAI_BASE_URL": base + "/praisonai"})
        procs.append(lister)
        warm(build, lister.address, "vendors/-", ["--method=ListJobs", "--page_size=50"])
        phases["list vendors/- c=1"] = measure(lister, None, lambda: grpc_load(
            build, lister.address, "vendors/-", 1, "2s" if args.smoke else "6s",
            extra=["--method=ListJobs", "--page_size=50"]))
    finally:
        for p in reversed(procs):
            p.stop()
        shutil.rmtree(work, ignore_errors=True)

    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(table(results))
    print(table(results))
    if not args.smoke:
        plot(results, sweep, os.path.join(args.out, "concurrency.png"))
    bad = [name for name, r in phases.items() if not all_ok(r)]
    if bad:
        log("phases with answers that were not OK:", ", ".join(bad))
        return 1
    return 0


def profile(build, out, which):
    """perf's flat profile of jobfacade under load: by shared object, and the top symbols."""
    os.makedirs(out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="jobfacade-profile-")
    name, extra = ((RUNNING_PREFIX, DISTINCT) if which == "running"
                   else (f"vendors/ionq/jobs/{DONE_ID}", []))
    nginx = Nginx(work)
    jf = start_jobfacade(build, {"IONQ_BASE_URL": nginx.url("fast/v0.4"), "IONQ_API_KEY": KEY})
    try:
        warm(build, jf.address, name, extra)
        data = os.path.join(out, f"perf-{which}.data")
        perf = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "999", "-g",
                                 "-o", data, "-p", str(jf.pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        load = measure(jf, nginx, lambda: grpc_load(build, jf.address, name, 32, "8s", extra))
        perf.send_signal(signal.SIGINT)
        perf.wait(60)
        reports = {}
        for sort in ("comm", "dso", "dso,symbol"):
            reports[sort] = subprocess.run(
                ["perf", "report", "-i", data, "--no-children", "--sort", sort, "--stdio",
                 "--percent-limit", "0.3" if sort == "dso,symbol" else "0.1", "-g", "none"],
                capture_output=True, text=True, check=True).stdout
        path = os.path.join(out, f"profile-{which}.txt")
        with open(path, "w") as f:
            f.write(json.dumps(load, indent=1) + "\n")
            for sort, text in reports.items():
                f.write(f"\n===== perf report --no-children --sort {sort}\n")
                f.write("\n".join(re.sub(r"[\s-]+$", "", l) for l in text.splitlines()
                                   if l and not l.startswith("#")))
                f.write("\n")
        print(open(path).read())
    finally:
        jf.stop()
        nginx.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


class ThreadSampler:
    """The highest thread count of a process, sampled every 20 ms on a thread of our own."""

    def __init__(self, pid):
        import threading  # pylint: disable=import-outside-toplevel
        self.pid = pid
        self.peak = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stopping.is_set():
            self.peak = max(self.peak, proc_status(self.pid)["threads"])
            time.sleep(0.02)

    def stop(self):
        self.stopping.set()
        self.thread.join()
        return self.peak


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpus": os.cpu_count(), "cpu": model, "kernel": os.uname().release,
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)}


def table(results):
    rows = ["| phase | calls | calls/s | p50 us | p99 us | server CPU us/call | peak RSS MB "
            "| threads | upstream conns | vendor reqs | answers |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]

    def fmt(value, digits=0):
        return "" if value is None else f"{value:,.{digits}f}"

    for name, r in results["phases"].items():
        rows.append("| " + " | ".join([
            name, fmt(r.get("calls")), fmt(r.get("calls_per_second")), fmt(r.get("p50_us")),
            fmt(r.get("p99_us")), fmt(r.get("server_cpu_us_per_call"), 1),
            fmt(r.get("server_peak_rss_mb", r.get("peak_rss_mb")), 1),
            fmt(r.get("server_threads", r.get("server_max_threads", r.get("threads")))),
            fmt(r.get("upstream_connections")), fmt(r.get("vendor_requests")),
            ", ".join(f"{k} {v}" for k, v in r.get("codes", {}).items())]) + " |")
    startup = results["phases"].get("startup", {})
    rows.append("")
    rows.append(f"Startup: first call answered {startup.get('serving_ms', 0):.0f} ms after exec; "
                f"idle RSS {startup.get('idle_rss_mb', 0):.1f} MB with "
                f"{startup.get('idle_threads', 0)} threads.")
    m = results["machine"]
    rows.append(f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['memory_gb']} GiB, "
                f"Linux {m['kernel']}.")
    return "\n".join(rows) + "\n"


def plot(results, sweep, path):
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for series, label in (("direct", "direct REST (wrk -> nginx)"),
                          ("jobfacade", "jobfacade GetJob (uncached)"),
                          ("cached", "jobfacade GetJob (cached)"),
                          ("floor-callback", "gRPC floor (empty GetJob, callback API)"),
                          ("peer", "Python peer (grpc.aio + aiohttp)")):
        points = [results["phases"].get(f"{series} c={c}") for c in sweep]
        if not all(points):
            continue
        left.plot(sweep, [p["calls_per_second"] for p in points], marker="o", label=label)
        right.plot(sweep, [p["p50_us"] for p in points], marker="o", label=label)
    left.set(xlabel="calls in flight", ylabel="calls/s", xscale="log", yscale="log",
             title="throughput")
    right.set(xlabel="calls in flight", ylabel="p50 latency (us)", xscale="log", yscale="log",
              title="median latency")
    for axis in (left, right):
        axis.set_xticks(sweep, [str(c) for c in sweep])
        axis.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
