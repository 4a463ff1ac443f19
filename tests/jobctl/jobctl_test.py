"""End-to-end tests of jobctl and jobfacade-probe against the real jobfacade binary.

Each class starts its own jobfacade on loopback (ports chosen by the kernel): in sandbox mode
for reads, usage, tokens and TLS, or pointed at a separate `jobfacade-emulator --manual-clock`
for cancel, delete and watch, so the test moves the vendors' clock itself instead of waiting.
The process helpers (JobfacadeServer, EmulatorProcess, Certificates) are the Python client
tests' own. Every wait is bounded. Environment (set by tests/jobctl/CMakeLists.txt):
JOBCTL_BIN, JOBFACADE_PROBE_BIN, JOBFACADE_BIN, JOBFACADE_EMULATOR_BIN, JOBFACADE_SOURCE_DIR.
"""

import json
import os
import pty
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

SOURCE_DIR = os.environ.get(
    "JOBFACADE_SOURCE_DIR",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "clients"))

import python_client_test as harness  # noqa: E402

JOBCTL = os.environ.get("JOBCTL_BIN", "")
PROBE = os.environ.get("JOBFACADE_PROBE_BIN", "")
VENDORS = harness.VENDORS
MISSING_IDS = harness.MISSING_IDS
RUN_TIMEOUT_S = 30
WATCH_TIMEOUT_S = 60
EXIT_USAGE = 64
EXIT_JOB_UNSUCCESSFUL = 65
NOT_FOUND, FAILED_PRECONDITION, UNAVAILABLE, UNAUTHENTICATED = 5, 9, 14, 16
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")


def clean_env():
    return {k: v for k, v in os.environ.items() if k != "JOBFACADE_SERVER"}


def run(*args, env=None):
    """Runs jobctl (or the given binary as args[0] when it is an absolute path)."""
    argv = list(args) if args and os.path.isabs(args[0]) else [JOBCTL, *args]
    return subprocess.run(argv, env=env or clean_env(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S)


def json_lines(stdout):
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


class JobctlTestCase(unittest.TestCase):

    def jobctl(self, *args, **kwargs):
        return run("--server", self.server.address, *args, **kwargs)

    def assert_ok(self, done):
        self.assertEqual(done.returncode, 0, f"stdout: {done.stdout}\nstderr: {done.stderr}")
        return done

    def assert_rpc_error(self, done, code, code_name, reason):
        self.assertEqual(done.returncode, code, f"stdout: {done.stdout}\nstderr: {done.stderr}")
        self.assertEqual(done.stdout, "")
        self.assertIn(f"{code_name} {reason}", done.stderr)

    def list_json(self, *args):
        return json_lines(self.assert_ok(self.jobctl("--json", "list", *args)).stdout)


class SandboxTestCase(JobctlTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = harness.JobfacadeServer()
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()


class ManualClockTestCase(JobctlTestCase):
    """A manual-clock emulator and REPLICAS jobfacade processes serving it."""

    REPLICAS = 1

    @classmethod
    def setUpClass(cls):
        cls.emulator_process = harness.EmulatorProcess()
        cls.addClassCleanup(cls.emulator_process.kill)
        cls.emulator_process.start()
        cls.emulator = cls.emulator_process.control
        cls.servers = []
        for _ in range(cls.REPLICAS):
            server = harness.JobfacadeServer(cls.emulator_process.vendor_settings(),
                                             harness.FAST_WATCH)
            cls.addClassCleanup(server.kill)
            server.start()
            cls.servers.append(server)
        cls.server = cls.servers[0]

    def create_job(self, vendor, **spec):
        return f"vendors/{vendor}/jobs/{self.emulator.create_job(vendor=vendor, **spec)}"

    def state_of(self, name):
        return json_lines(self.assert_ok(self.jobctl("--json", "get", name)).stdout)[0]["state"]


class GetTest(SandboxTestCase):

    def test_get_prints_aligned_fields(self):
        job = self.list_json("vendors/ionq", "--page-size", "1")[0]
        out = self.assert_ok(self.jobctl("get", job["name"])).stdout
        lines = out.splitlines()
        fields = {key.rstrip(":").strip(): value.strip() for key, value in
                  (line.split(":", 1) for line in lines)}
        self.assertEqual(fields["name"], job["name"])
        self.assertEqual(fields["vendor"], "ionq")
        self.assertEqual(fields["state"], job["state"])
        self.assertEqual(fields["vendor_job_id"], job["vendor_job_id"])
        # Values start in one column.
        columns = {line.index(value) for line, value in zip(lines, fields.values())
                   if value}
        self.assertEqual(len(columns), 1, out)

    def test_get_json_uses_proto_field_names_and_state_names(self):
        for vendor in VENDORS:
            with self.subTest(vendor=vendor):
                listed = self.list_json(f"vendors/{vendor}", "--page-size", "1")[0]
                jobs = json_lines(self.assert_ok(
                    self.jobctl("--json", "get", listed["name"])).stdout)
                self.assertEqual(len(jobs), 1)
                job = jobs[0]
                self.assertEqual(job["name"], f"vendors/{vendor}/jobs/{job['vendor_job_id']}")
                self.assertEqual(job["vendor"], vendor)
                self.assertIn(job["state"], ("INITIALIZING", "QUEUED", "RUNNING", "CANCELLING",
                                             "CANCELLED", "COMPLETED", "FAILED", "ON_HOLD"))
                self.assertTrue(job["vendor_state"])
                self.assertIn("create_time", job)
                self.assertNotIn("vendorJobId", job)

    def test_known_completed_demo_job(self):
        name = "vendors/praisonai/jobs/run_9b2d61f0ac58"
        job = json_lines(self.assert_ok(self.jobctl("--json", "get", name)).stdout)[0]
        self.assertEqual(job["state"], "COMPLETED")
        self.assertEqual(job["vendor_state"], "succeeded")
        self.assertEqual(job["job_type"], "agent_run")

    def test_missing_job_exits_5(self):
        for vendor in VENDORS:
            with self.subTest(vendor=vendor):
                done = self.jobctl("get", f"vendors/{vendor}/jobs/{MISSING_IDS[vendor]}")
                self.assert_rpc_error(done, NOT_FOUND, "NOT_FOUND", "JOB_NOT_FOUND")

    def test_malformed_name_exits_3(self):
        done = self.jobctl("get", "vendors/acme/jobs/x")
        self.assert_rpc_error(done, 3, "INVALID_ARGUMENT", "UNKNOWN_VENDOR")

    def test_default_server_from_environment(self):
        env = clean_env()
        env["JOBFACADE_SERVER"] = self.server.address
        done = run("--json", "get", "vendors/praisonai/jobs/run_9b2d61f0ac58", env=env)
        self.assertEqual(json_lines(self.assert_ok(done).stdout)[0]["state"], "COMPLETED")

    def test_unreachable_server_exits_14(self):
        done = run("--server", "127.0.0.1:1", "get", "vendors/praisonai/jobs/run_9b2d61f0ac58")
        self.assertEqual(done.returncode, UNAVAILABLE, done.stderr)
        self.assertIn("UNAVAILABLE", done.stderr)


class ListTest(SandboxTestCase):

    def test_all_pages_equal_the_full_listing(self):
        for parent in [f"vendors/{v}" for v in VENDORS] + ["vendors/-"]:
            with self.subTest(parent=parent):
                full = [job["name"] for job in self.list_json(parent, "--page-size", "200")]
                self.assertTrue(full)
                paged = [job["name"] for job in
                         self.list_json(parent, "--page-size", "2", "--all")]
                self.assertEqual(len(paged), len(set(paged)), "a job appeared twice")
                self.assertEqual(sorted(paged), sorted(full))
                self.assertGreater(len(full), 2, "the listing spans several pages")

    def test_one_page_without_all(self):
        done = self.assert_ok(self.jobctl("--json", "list", "vendors/-", "--page-size", "2"))
        self.assertEqual(len(json_lines(done.stdout)), 2)
        table = self.assert_ok(self.jobctl("list", "vendors/-", "--page-size", "2"))
        self.assertEqual(len(table.stdout.splitlines()), 3)  # header and two jobs
        self.assertIn("--all", table.stderr)

    def test_filter(self):
        jobs = self.list_json("vendors/-", "--filter", "state = COMPLETED", "--all")
        self.assertTrue(jobs, "the sandbox has completed demo jobs")
        self.assertEqual({job["state"] for job in jobs}, {"COMPLETED"})
        ionq = self.list_json("vendors/-", "--filter", 'vendor = "ionq"', "--all")
        self.assertTrue(ionq)
        self.assertEqual({job["vendor"] for job in ionq}, {"ionq"})

    def test_table_has_aligned_columns(self):
        jobs = self.list_json("vendors/-", "--all")
        out = self.assert_ok(self.jobctl("list", "vendors/-", "--all")).stdout
        lines = out.splitlines()
        self.assertEqual(len(lines), len(jobs) + 1)
        header = lines[0]
        self.assertTrue(header.startswith("NAME "))
        state_column = header.index("STATE")
        self.assertIn("VENDOR JOB ID", header)
        by_name = {job["name"]: job for job in jobs}
        for line in lines[1:]:
            name = line.split()[0]
            self.assertIn(name, by_name)
            self.assertEqual(line[state_column:].split()[0], by_name[name]["state"])

    def test_malformed_filter_exits_3(self):
        done = self.jobctl("list", "vendors/-", "--filter", "state = = RUNNING")
        self.assert_rpc_error(done, 3, "INVALID_ARGUMENT", "INVALID_FILTER")

    def test_negative_page_size_is_the_servers_to_refuse(self):
        done = self.jobctl("list", "vendors/-", "--page-size", "-1")
        self.assert_rpc_error(done, 3, "INVALID_ARGUMENT", "INVALID_PAGE_SIZE")


class UsageTest(unittest.TestCase):
    COMMANDS = ("get", "list", "cancel", "delete", "watch", "submit", "result")

    def assert_usage(self, *args):
        done = run("--server", "127.0.0.1:1", *args)
        self.assertEqual(done.returncode, EXIT_USAGE, f"{args}: {done.stderr}")
        self.assertEqual(done.stdout, "")
        self.assertIn("jobctl:", done.stderr)

    def test_usage_errors_exit_64(self):
        self.assert_usage()
        self.assert_usage("frobnicate")
        self.assert_usage("submit", "vendors/ionq")  # no program
        self.assert_usage("submit", "vendors/ionq", "--prompt", "a", "--qasm3", "/dev/null")
        self.assert_usage("submit", "--prompt", "a")  # no parent
        self.assert_usage("submit", "vendors/ionq", "--qasm3", "/nonexistent/bell.qasm")
        self.assert_usage("submit", "vendors/ionq", "--prompt", "a", "--shots", "many")
        self.assert_usage("submit", "vendors/ionq", "--prompt", "a", "--tag", "novalue")
        self.assert_usage("submit", "vendors/ionq", "--prompt")
        self.assert_usage("result")
        self.assert_usage("--bogus", "get", "vendors/ionq/jobs/x")
        self.assert_usage("get")
        self.assert_usage("get", "a", "b")
        self.assert_usage("get", "vendors/ionq/jobs/x", "--bogus")
        self.assert_usage("list")
        self.assert_usage("list", "vendors/-", "--filter")
        self.assert_usage("list", "vendors/-", "--page-size", "ten")
        self.assert_usage("list", "vendors/-", "--page-size", "99999999999")
        self.assert_usage("cancel")
        self.assert_usage("delete")
        self.assert_usage("watch")
        done = run("--server")
        self.assertEqual(done.returncode, EXIT_USAGE)
        done = run("get", "vendors/ionq/jobs/x", "--json")
        self.assertEqual(done.returncode, EXIT_USAGE)
        self.assertIn("global option", done.stderr)

    def test_help_for_jobctl_and_every_command(self):
        for args in (["--help"], ["-h"]):
            done = run(*args)
            self.assertEqual(done.returncode, 0)
            for command in self.COMMANDS:
                self.assertIn(command, done.stdout)
        for command in self.COMMANDS:
            with self.subTest(command=command):
                done = run(command, "--help")
                self.assertEqual(done.returncode, 0, done.stderr)
                self.assertTrue(done.stdout.startswith("usage: jobctl"), done.stdout)
                self.assertIn(f" {command} ", done.stdout)
                self.assertEqual(done.stderr, "")

    def test_probe_usage(self):
        done = run(PROBE, "--help")
        self.assertEqual(done.returncode, 0)
        self.assertIn("usage: jobfacade-probe", done.stdout)
        self.assertEqual(run(PROBE, "--bogus").returncode, EXIT_USAGE)
        self.assertEqual(run(PROBE, "--timeout-ms", "x").returncode, EXIT_USAGE)
        self.assertEqual(run(PROBE, "--addr").returncode, EXIT_USAGE)


class SubmitResultTest(ManualClockTestCase):

    def write_bell(self):
        path = os.path.join(tempfile.mkdtemp(), "bell.qasm")
        with open(path, "w") as f:
            f.write("OPENQASM 3.0;\nqubit[3] q;\nh q[0];\ncx q[0], q[1];\ncx q[1], q[2];\n")
        self.addCleanup(shutil.rmtree, os.path.dirname(path))
        return path

    def test_submit_prints_the_request_id_and_repeats_safely(self):
        bell = self.write_bell()
        done = self.assert_ok(self.jobctl("--json", "submit", "vendors/ionq", "--qasm3", bell,
                                          "--device", "simulator", "--shots", "200",
                                          "--name", "ghz", "--tag", "team=q"))
        request_id = re.search(r"request id: ([0-9a-f-]{36})", done.stderr).group(1)
        job = json_lines(done.stdout)[0]
        self.assertTrue(job["name"].startswith("vendors/ionq/jobs/"))
        again = self.assert_ok(self.jobctl("--json", "submit", "vendors/ionq", "--qasm3", bell,
                                           "--device", "simulator", "--shots", "200",
                                           "--name", "ghz", "--tag", "team=q",
                                           "--request-id", request_id))
        self.assertEqual(json_lines(again.stdout)[0]["name"], job["name"])
        self.assertIn(request_id, again.stderr)
        jobs = self.list_json("vendors/ionq", "--all")
        self.assertEqual(sum(1 for j in jobs if j.get("display_name") == "ghz"), 1)

    def test_result_of_a_completed_circuit_and_an_agent_run(self):
        bell = self.write_bell()
        circuit = json_lines(self.assert_ok(self.jobctl(
            "--json", "submit", "vendors/qbraid", "--qasm3", bell, "--device",
            "aws:aws:sim:sv1", "--shots", "100")).stdout)[0]["name"]
        agent = json_lines(self.assert_ok(self.jobctl(
            "--json", "submit", "vendors/praisonai", "--prompt", "write a haiku")).stdout)[0][
                "name"]
        self.assert_rpc_error(self.jobctl("result", circuit), FAILED_PRECONDITION,
                              "FAILED_PRECONDITION", "JOB_NOT_TERMINAL")
        self.emulator.advance_clock(120)
        out = self.assert_ok(self.jobctl("result", circuit)).stdout
        self.assertRegex(out, r"(?m)^000\s+50\s")
        self.assertRegex(out, r"(?m)^111\s+50\s")
        result = json_lines(self.assert_ok(self.jobctl("--json", "result", circuit)).stdout)[0]
        self.assertEqual(result["quantum"]["counts"], {"000": "50", "111": "50"})
        self.assertEqual(result["state"], "COMPLETED")
        self.assertIn("write a haiku", self.assert_ok(self.jobctl("result", agent)).stdout)

    def test_a_bad_spec_is_the_servers_to_refuse(self):
        done = self.jobctl("submit", "vendors/ionq", "--prompt", "hello")
        self.assert_rpc_error(done, 3, "INVALID_ARGUMENT", "INVALID_JOB_SPEC")
        self.assertIn("--request-id", done.stderr)


class CancelDeleteTest(ManualClockTestCase):

    def test_delete_of_running_job_is_refused(self):
        name = self.create_job("ionq", initializing_seconds=0, queued_seconds=0,
                               running_seconds=36000)
        done = self.jobctl("delete", name)
        self.assert_rpc_error(done, FAILED_PRECONDITION, "FAILED_PRECONDITION",
                              "JOB_NOT_TERMINAL")
        self.assertEqual(self.state_of(name), "RUNNING")

    def test_cancel_of_completed_job_is_refused(self):
        name = self.create_job("qbraid", created_seconds_ago=60, initializing_seconds=0,
                               queued_seconds=0, running_seconds=1, outcome="completed")
        done = self.jobctl("cancel", name)
        self.assert_rpc_error(done, FAILED_PRECONDITION, "FAILED_PRECONDITION",
                              "JOB_ALREADY_TERMINAL")
        self.assertEqual(self.state_of(name), "COMPLETED")

    def test_cancel_then_delete(self):
        for vendor in VENDORS:
            with self.subTest(vendor=vendor):
                name = self.create_job(vendor, initializing_seconds=0, queued_seconds=0,
                                       running_seconds=36000)
                out = self.assert_ok(self.jobctl("cancel", name)).stdout
                self.assertIn("name:", out)
                self.assertIn(name, out)
                self.assertRegex(out, r"(?m)^state: +(CANCELLING|CANCELLED)$")
                again = json_lines(self.assert_ok(self.jobctl("--json", "cancel",
                                                              name)).stdout)
                self.assertIn(again[0]["state"], ("CANCELLING", "CANCELLED"))
                self.emulator.advance_clock(30)
                self.assertEqual(self.state_of(name), "CANCELLED")
                done = self.assert_ok(self.jobctl("delete", name))
                self.assertEqual(done.stdout, "")
                self.assertEqual(done.stderr, "")
                self.assert_rpc_error(self.jobctl("get", name), NOT_FOUND, "NOT_FOUND",
                                      "JOB_NOT_FOUND")
                self.assert_rpc_error(self.jobctl("delete", name), NOT_FOUND, "NOT_FOUND",
                                      "JOB_NOT_FOUND")


class WatchProcess:
    """`jobctl watch` with its stdout read line by line on a thread."""

    def __init__(self, server, name, *extra):
        self.lines = queue.Queue()
        self.all_lines = []
        self.proc = subprocess.Popen([JOBCTL, "--server", server, *extra, "watch", name],
                                     env=clean_env(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.all_lines.append(line.rstrip("\n"))
            self.lines.put(line.rstrip("\n"))

    def next_line(self, timeout_s=RUN_TIMEOUT_S):
        return self.lines.get(timeout=timeout_s)

    def finish(self, timeout_s=RUN_TIMEOUT_S):
        code = self.proc.wait(timeout=timeout_s)
        self._reader.join(timeout=timeout_s)
        return code, self.all_lines, self.proc.stderr.read()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=RUN_TIMEOUT_S)
        self._reader.join(timeout=RUN_TIMEOUT_S)
        for stream in (self.proc.stdout, self.proc.stderr):
            if not self._reader.is_alive() or stream is self.proc.stderr:
                stream.close()


class WatchTest(ManualClockTestCase):
    """Watches on the second replica; the first is stopped by the re-open test."""

    REPLICAS = 2

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = cls.servers[1]

    def watch(self, name, *extra, server=None):
        watcher = WatchProcess(server or self.server.address, name, *extra)
        self.addCleanup(watcher.kill)
        return watcher

    def drive_to_end(self, watcher, steps=40):
        """Moves the emulator's clock 1 s at a time until the watch exits."""
        deadline = time.monotonic() + WATCH_TIMEOUT_S
        for _ in range(steps):
            if watcher.proc.poll() is not None or time.monotonic() > deadline:
                break
            self.emulator.advance_clock(1)
            try:
                watcher.proc.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
        return watcher.finish()

    def assert_one_line_per_change(self, lines, name):
        self.assertTrue(lines)
        states = [line.split()[1] for line in lines]
        for line in lines:
            self.assertTrue(line.startswith(name + "  "), line)
        for a, b in zip(lines, lines[1:]):
            self.assertNotEqual(a, b, "the same status printed twice")
        return states

    def test_watch_to_completed_exits_0(self):
        for vendor in VENDORS:
            with self.subTest(vendor=vendor):
                name = self.create_job(vendor, initializing_seconds=1, queued_seconds=3,
                                       running_seconds=4, outcome="completed")
                code, lines, err = self.drive_to_end(self.watch(name))
                self.assertEqual(code, 0, err)
                states = self.assert_one_line_per_change(lines, name)
                self.assertIn("RUNNING", states)
                self.assertEqual(states[-1], "COMPLETED")

    def test_watch_to_failed_or_cancelled_exits_65(self):
        for outcome, state in (("failed", "FAILED"), ("cancelled", "CANCELLED")):
            with self.subTest(outcome=outcome):
                name = self.create_job("ionq", initializing_seconds=0, queued_seconds=1,
                                       running_seconds=2, outcome=outcome)
                code, lines, err = self.drive_to_end(self.watch(name))
                self.assertEqual(code, EXIT_JOB_UNSUCCESSFUL, err)
                self.assertEqual(self.assert_one_line_per_change(lines, name)[-1], state)

    def test_watch_of_a_job_cancelled_through_jobctl_exits_65(self):
        name = self.create_job("praisonai", initializing_seconds=0, queued_seconds=0,
                               running_seconds=36000)
        watcher = self.watch(name, "--json")
        self.assertEqual(json.loads(watcher.next_line())["state"], "RUNNING")
        self.assert_ok(self.jobctl("cancel", name))
        code, lines, err = self.drive_to_end(watcher)
        self.assertEqual(code, EXIT_JOB_UNSUCCESSFUL, err)
        jobs = [json.loads(line) for line in lines]
        self.assertEqual(jobs[-1]["state"], "CANCELLED")
        self.assertEqual({job["name"] for job in jobs}, {name})

    def test_watch_of_a_terminal_job_prints_it_once(self):
        name = self.create_job("qbraid", created_seconds_ago=60, initializing_seconds=0,
                               queued_seconds=0, running_seconds=1, outcome="completed")
        code, lines, err = self.watch(name).finish()
        self.assertEqual(code, 0, err)
        self.assertEqual(len(lines), 1)
        self.assertEqual(lines[0].split()[1], "COMPLETED")

    def test_watch_of_a_missing_job_exits_5(self):
        code, lines, err = self.watch(f"vendors/ionq/jobs/{MISSING_IDS['ionq']}").finish()
        self.assertEqual(code, NOT_FOUND)
        self.assertIn("NOT_FOUND JOB_NOT_FOUND", err)

    def test_watch_gives_up_on_an_unreachable_server_in_bounded_time(self):
        started = time.monotonic()
        code, lines, err = self.watch(f"vendors/ionq/jobs/{MISSING_IDS['ionq']}",
                                      server="127.0.0.1:1").finish(timeout_s=WATCH_TIMEOUT_S)
        self.assertEqual(code, UNAVAILABLE, err)
        self.assertEqual(lines, [])
        self.assertIn("UNAVAILABLE", err)
        self.assertLess(time.monotonic() - started, 30)

    def test_watch_on_a_terminal_keeps_one_status_line(self):
        name = self.create_job("ionq", initializing_seconds=0, queued_seconds=1,
                               running_seconds=1, outcome="completed")
        master, slave = pty.openpty()
        self.addCleanup(os.close, master)
        proc = subprocess.Popen([JOBCTL, "--server", self.server.address, "watch", name],
                                env=clean_env(), stdin=subprocess.DEVNULL, stdout=slave,
                                stderr=subprocess.PIPE)
        os.close(slave)
        self.addCleanup(proc.stderr.close)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        output = b""
        deadline = time.monotonic() + WATCH_TIMEOUT_S
        while proc.poll() is None and time.monotonic() < deadline:
            self.emulator.advance_clock(1)
            try:
                proc.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
        self.assertEqual(proc.wait(timeout=RUN_TIMEOUT_S), 0)
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        text = output.decode()
        updates = text.split("\r\x1b[2K")
        self.assertGreaterEqual(len(updates), 3, repr(text))  # e.g. QUEUED, RUNNING, COMPLETED
        self.assertTrue(all("\n" not in u.strip("\r\n") for u in updates), repr(text))
        self.assertIn("COMPLETED", updates[-1])

    def test_watch_reopens_after_the_server_shuts_down(self):
        a, b = self.servers
        target = "ipv4:" + ",".join([a.address, b.address])
        name = self.create_job("ionq", initializing_seconds=0, queued_seconds=0,
                               running_seconds=5, outcome="completed")
        watcher = self.watch(name, server=target)
        self.assertEqual(watcher.next_line().split()[1], "RUNNING")
        self.assertEqual(harness.watches_open(a), 1)
        self.assertEqual(a.stop(), 0)  # its watch ends UNAVAILABLE / SHUTTING_DOWN
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while harness.watches_open(b) != 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(harness.watches_open(b), 1,
                         f"jobctl re-opened the watch (jobctl exit: {watcher.proc.poll()})")
        self.emulator.advance_clock(10)
        code, lines, err = watcher.finish()
        self.assertEqual(code, 0, err)
        self.assertEqual([line.split()[1] for line in lines], ["RUNNING", "COMPLETED"])


class TokenTest(JobctlTestCase):

    @classmethod
    def setUpClass(cls):
        cls.certs = harness.Certificates()
        cls.addClassCleanup(cls.certs.cleanup)
        cls.tokens_file = harness.write_tokens_file(cls.certs.dir)
        cls.server = harness.JobfacadeServer(
            extra_env={"JOBFACADE_AUTH_TOKENS_FILE": cls.tokens_file})
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()

    def token_file(self, token):
        path = os.path.join(self.certs.dir, f"token-{len(token)}-{abs(hash(token))}")
        with open(path, "w") as f:
            f.write(token + "\n")
        return path

    def test_a_good_token_is_sent(self):
        name = "vendors/praisonai/jobs/run_9b2d61f0ac58"
        done = self.jobctl("--token-file", self.token_file(harness.WRITE_TOKEN), "--json",
                           "get", name)
        self.assertEqual(json_lines(self.assert_ok(done).stdout)[0]["name"], name)
        listed = self.jobctl("--token-file", self.token_file(harness.READ_TOKEN), "--json",
                             "list", "vendors/ionq")
        self.assertTrue(json_lines(self.assert_ok(listed).stdout))

    def test_a_wrong_or_missing_token_exits_16(self):
        name = "vendors/praisonai/jobs/run_9b2d61f0ac58"
        for args in (["--token-file", self.token_file("jf-not-a-token")], []):
            with self.subTest(args=args):
                self.assert_rpc_error(self.jobctl(*args, "get", name), UNAUTHENTICATED,
                                      "UNAUTHENTICATED", "UNAUTHENTICATED")

    def test_a_read_token_may_not_cancel(self):
        done = self.jobctl("--token-file", self.token_file(harness.READ_TOKEN), "cancel",
                           "vendors/ionq/jobs/0a7d4e2c-58b1-4f3e-9c6a-2b8f1d0e7a41")
        self.assert_rpc_error(done, 7, "PERMISSION_DENIED", "CALLER_NOT_ALLOWED")

    def test_an_unreadable_token_file_is_a_usage_error(self):
        done = self.jobctl("--token-file", os.path.join(self.certs.dir, "absent"), "get",
                           "vendors/praisonai/jobs/run_9b2d61f0ac58")
        self.assertEqual(done.returncode, EXIT_USAGE)


class TlsTest(JobctlTestCase):

    @classmethod
    def setUpClass(cls):
        cls.certs = harness.Certificates()
        cls.addClassCleanup(cls.certs.cleanup)
        cls.server = harness.JobfacadeServer(extra_env={
            "JOBFACADE_TLS_CERT_FILE": cls.certs.path("server.pem"),
            "JOBFACADE_TLS_KEY_FILE": cls.certs.path("server.key")})
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()

    def test_jobctl_over_tls(self):
        name = "vendors/praisonai/jobs/run_9b2d61f0ac58"
        done = self.jobctl("--tls", "--ca", self.certs.path("server.pem"), "--json", "get",
                           name)
        self.assertEqual(json_lines(self.assert_ok(done).stdout)[0]["state"], "COMPLETED")
        listed = self.jobctl("--tls", "--ca", self.certs.path("server.pem"), "--json", "list",
                             "vendors/-", "--all", "--page-size", "3")
        self.assertTrue(json_lines(self.assert_ok(listed).stdout))

    def test_plaintext_or_untrusting_jobctl_fails(self):
        name = "vendors/praisonai/jobs/run_9b2d61f0ac58"
        self.assertEqual(self.jobctl("get", name).returncode, UNAVAILABLE)
        # Trusting another certificate.
        self.assertEqual(self.jobctl("--ca", self.certs.path("ca.pem"), "get",
                                     name).returncode, UNAVAILABLE)

    def test_probe_over_tls(self):
        ca = self.certs.path("server.pem")
        done = run(PROBE, "--addr", self.server.address, "--tls", "--ca", ca)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.strip(), "SERVING")
        done = run(PROBE, "--addr", self.server.address, "--ca", ca, "--service",
                   "jobfacade.v1.JobService")
        self.assertEqual(done.returncode, 0, done.stderr)
        # Plaintext against the TLS port, and TLS trusting another CA, are not serving.
        self.assertEqual(run(PROBE, "--addr", self.server.address, "--timeout-ms",
                             "2000").returncode, 1)
        self.assertEqual(run(PROBE, "--addr", self.server.address, "--ca",
                             self.certs.path("ca.pem"), "--timeout-ms", "2000").returncode, 1)


class ProbeTest(SandboxTestCase):

    def test_serving_server(self):
        done = run(PROBE, "--addr", self.server.address)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout.strip(), "SERVING")
        for service in ("jobfacade.v1.JobService", "vendors/ionq"):
            with self.subTest(service=service):
                done = run(PROBE, "--addr", self.server.address, "--service", service)
                self.assertEqual(done.returncode, 0, done.stderr)

    def test_unknown_service_is_not_serving(self):
        done = run(PROBE, "--addr", self.server.address, "--service", "no.such.Service")
        self.assertEqual(done.returncode, 1)

    def test_closed_port(self):
        started = time.monotonic()
        done = run(PROBE, "--addr", "127.0.0.1:1", "--timeout-ms", "2000")
        self.assertEqual(done.returncode, 1)
        self.assertLess(time.monotonic() - started, RUN_TIMEOUT_S)


if __name__ == "__main__":
    for binary in (JOBCTL, PROBE):
        if not binary or not os.access(binary, os.X_OK):
            sys.exit(f"not an executable: {binary!r}")
    result = unittest.main(verbosity=2, exit=False).result
    passed, failed, skipped, fixture_errors = harness.summarize(result)
    print(f"jobctl: {passed} passed, {failed} failed, {skipped} skipped", flush=True)
    sys.exit(0 if result.wasSuccessful() else 1)
