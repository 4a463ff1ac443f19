"""End-to-end tests of the Python client against the real jobfacade binary.

Most classes start their own `jobfacade --sandbox` process on loopback, as a newcomer would
(ports chosen by the kernel, read back from its stdout). CancelDeleteTest instead starts a
separate `jobfacade-emulator --manual-clock --no-demo` process and a jobfacade that is not in
sandbox mode but points its three vendors at that emulator, so the test moves the vendors'
clock itself (POST /_emulator/clock/advance) instead of waiting for real time to pass. Every
test drives real RPCs through client/python/jobfacade_client.py (with the generated modules
committed beside it) and checks them against API.md. The security classes serve with bearer
tokens, caller vendor keys, TLS and mTLS, with certificates made by openssl in a temporary
directory. Every wait is bounded; each process is killed in the class cleanup even when
start-up fails. Environment (set by tests/clients/CMakeLists.txt): JOBFACADE_BIN,
JOBFACADE_EMULATOR_BIN, JOBFACADE_SOURCE_DIR.
"""

import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request
import uuid

SOURCE_DIR = os.environ.get(
    "JOBFACADE_SOURCE_DIR",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
sys.path.insert(0, os.path.join(SOURCE_DIR, "client", "python"))

import grpc  # noqa: E402

import jobfacade_client as jf  # noqa: E402

VENDORS = ("qbraid", "ionq", "praisonai")
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20
RPC_TIMEOUT_S = 20
# A vendor id is 1..512 printable ASCII bytes without '/' or whitespace (API.md, "Names").
NAME_RE = re.compile(r"^vendors/(qbraid|ionq|praisonai)/jobs/([!-.0-~]{1,512})$")
# Ids in each vendor's format that no emulator job has.
MISSING_IDS = {
    "qbraid": "qbraid:qbraid:sim:qir-sv-0000-qjob-000000000000000000000000",
    "ionq": "00000000-0000-4000-8000-000000000000",
    "praisonai": "run_000000000000",
}
# The key of the vendor's own id in its job object (vendor_payload).
PAYLOAD_ID_KEY = {"qbraid": "jobQrn", "ionq": "id", "praisonai": "job_id"}
# The keys the separate emulator process is started with (PraisonAI runs without auth, its
# loopback default), and so the keys jobfacade is given for it.
EMULATOR_KEYS = {"qbraid": "sandbox-qbraid-key", "ionq": "sandbox-ionq-key"}

pb = None


def setUpModule():
    global pb
    pb = jf.messages()
    # The committed modules beside the client, not a copy from elsewhere on sys.path.
    client_dir = os.path.realpath(os.path.join(SOURCE_DIR, "client", "python"))
    for module in (pb, jf.services(), jf.health_messages()):
        if not os.path.realpath(module.__file__).startswith(client_dir + os.sep):
            raise RuntimeError(f"{module.__name__} imported from {module.__file__}")


class ChildProcess:
    """A child process whose stdout is read line by line on a thread, so waits are bounded."""

    def __init__(self, what):
        self.what = what
        self.proc = None
        self.stdout_lines = []
        self._lines = queue.Queue()
        self._reader = None

    def spawn(self, argv, env):
        if not argv[0] or not os.access(argv[0], os.X_OK):
            raise RuntimeError(f"{self.what}: not an executable: {argv[0]!r}")
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()

    def read_until(self, pattern, timeout_s):
        """The match of the first new stdout line matching `pattern`, within `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"{self.what}: no line matching {pattern!r} within "
                                   f"{timeout_s}s; stdout: {self.stdout_lines}")
            try:
                line = self._lines.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                if self.proc.poll() is not None and self._lines.empty():
                    raise RuntimeError(f"{self.what} exited with {self.proc.returncode} before "
                                       f"serving; stdout: {self.stdout_lines}")
                continue
            if line is None:
                raise RuntimeError(f"{self.what} closed stdout before serving: "
                                   f"{self.stdout_lines}")
            match = re.search(pattern, line)
            if match:
                return match

    def find_line(self, pattern):
        """The match of the first stdout line read so far that matches `pattern`, or None."""
        for line in list(self.stdout_lines):
            match = re.search(pattern, line)
            if match:
                return match
        return None

    def _read_stdout(self):
        for line in self.proc.stdout:
            self.stdout_lines.append(line.rstrip("\n"))
            self._lines.put(line)
        self._lines.put(None)

    def stop(self):
        """SIGTERM, then the exit code (killing it when it does not exit in time)."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self._close_stdout()
        return code

    def kill(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        self._close_stdout()

    def _close_stdout(self):
        # The reader sees EOF once the process is gone; join it before closing the pipe.
        if self._reader is not None:
            self._reader.join(timeout=STOP_TIMEOUT_S)
        if (self.proc.stdout and not self.proc.stdout.closed
                and (self._reader is None or not self._reader.is_alive())):
            self.proc.stdout.close()


class EmulatorControl:
    """The vendor emulator's /_emulator/ control API at `url` ("http://127.0.0.1:PORT")."""

    def __init__(self, url):
        self.url = url

    def post(self, path, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method="POST",
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=RPC_TIMEOUT_S) as response:
            text = response.read().decode()
            return json.loads(text) if text.strip() else {}

    def create_job(self, **spec):
        """Seeds a job (POST /_emulator/jobs); returns its vendor id."""
        created = self.post("/_emulator/jobs", spec)
        job_id = created.get("id")
        if not job_id:
            raise AssertionError(f"POST /_emulator/jobs answered {created}")
        return job_id

    def advance_clock(self, seconds):
        """Moves a --manual-clock emulator's clock; returns its new time (RFC 3339)."""
        return self.post(f"/_emulator/clock/advance?seconds={seconds}")["now"]


class EmulatorProcess(ChildProcess):
    """A separate jobfacade-emulator on a manual clock, with no demo jobs."""

    def __init__(self):
        super().__init__("jobfacade-emulator")
        self.control = None

    def start(self):
        binary = os.environ.get("JOBFACADE_EMULATOR_BIN", "")
        self.spawn([binary, "--port", "0", "--manual-clock", "--no-demo",
                    "--qbraid-key", EMULATOR_KEYS["qbraid"],
                    "--ionq-key", EMULATOR_KEYS["ionq"]], dict(os.environ))
        match = self.read_until(r"jobfacade-emulator listening on (\S+:\d+)", START_TIMEOUT_S)
        self.control = EmulatorControl("http://" + match.group(1))

    def vendor_settings(self):
        """The jobfacade settings that point all three vendors at this emulator."""
        url = self.control.url
        return {
            "QBRAID_API_KEY": EMULATOR_KEYS["qbraid"],
            "QBRAID_BASE_URL": url + "/qbraid/api/v1",
            "IONQ_API_KEY": EMULATOR_KEYS["ionq"],
            "IONQ_BASE_URL": url + "/ionq/v0.4",
            "PRAISONAI_BASE_URL": url + "/praisonai",
        }


class JobfacadeServer(ChildProcess):
    """One jobfacade process, with its ports read from its stdout.

    vendor_settings None: sandbox mode (`--sandbox`, the built-in emulator, whose control API
    is then `self.emulator`). Otherwise the QBRAID_/IONQ_/PRAISONAI_ settings to serve.
    """

    def __init__(self, vendor_settings=None, extra_env=None):
        super().__init__("jobfacade")
        self.vendor_settings = vendor_settings
        self.extra_env = extra_env or {}
        self.address = None
        self.emulator = None
        self.metrics_address = None

    def start(self):
        sandbox = self.vendor_settings is None
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("QBRAID_", "IONQ_", "PRAISONAI_", "JOBFACADE_"))}
        env["JOBFACADE_LISTEN"] = "127.0.0.1:0"
        env["JOBFACADE_METRICS_LISTEN"] = "127.0.0.1:0"
        env.update(self.vendor_settings or {})
        env.update(self.extra_env)
        binary = os.environ.get("JOBFACADE_BIN", "")
        self.spawn([binary, "--sandbox"] if sandbox else [binary], env)
        self.address = self.read_until(r"jobfacade listening on (\S+:\d+)",
                                       START_TIMEOUT_S).group(1)
        # Both lines come before the listening line.
        metrics = self.find_line(r"jobfacade metrics on (\S+:\d+)")
        self.metrics_address = metrics.group(1) if metrics else None
        emulator = self.find_line(r"vendor emulator on (127\.0\.0\.1:\d+)")
        if sandbox and emulator is None:
            raise RuntimeError(f"no sandbox emulator line before serving: {self.stdout_lines}")
        if not sandbox and emulator is not None:
            raise RuntimeError(f"jobfacade fell back to sandbox mode although vendors were "
                               f"configured: {self.stdout_lines}")
        if emulator is not None:
            self.emulator = EmulatorControl("http://" + emulator.group(1))


class RpcTestCase(unittest.TestCase):
    """Assertions over the client's calls; subclasses set cls.client."""

    def list_all(self, parent, page_size=0, filter="", view=0):
        jobs = []
        for page in self.client.iter_pages(parent, page_size, filter, view, max_pages=500):
            jobs.extend(page.jobs)
        return jobs

    def assert_rpc_error(self, call, code, reason, vendor=None):
        """Runs `call`, expects a gRPC error with the contract's error details."""
        with self.assertRaises(grpc.RpcError) as caught:
            call()
        details = jf.error_details(caught.exception)
        self.assertEqual(details.code, code, details.message)
        self.assertIsNotNone(details.status, "no grpc-status-details-bin trailer")
        self.assertEqual(details.status.code, code.value[0])
        self.assertEqual(details.error_info_count, 1)
        self.assertEqual(details.domain, "jobfacade")
        self.assertEqual(details.reason, reason, details.message)
        if vendor is not None:
            self.assertEqual(details.metadata.get("vendor"), vendor)
        return details


class ServerTestCase(RpcTestCase):
    """Starts one sandbox server for the whole class, as a newcomer would; always kills it."""

    @classmethod
    def setUpClass(cls):
        cls.server = JobfacadeServer()
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()
        cls.client = jf.JobfacadeClient(cls.server.address, timeout=RPC_TIMEOUT_S)
        cls.addClassCleanup(cls.client.close)


class ManualClockTestCase(RpcTestCase):
    """A manual-clock emulator process and REPLICAS jobfacade processes serving it (not in
    sandbox mode, with SERVER_ENV added), `cls.server` the first; the client talks to it.

    Every process is started once for the class and always killed afterwards.
    """

    REPLICAS = 1
    SERVER_ENV = {}

    @classmethod
    def setUpClass(cls):
        cls.emulator_process = EmulatorProcess()
        cls.addClassCleanup(cls.emulator_process.kill)
        cls.emulator_process.start()
        cls.emulator = cls.emulator_process.control
        cls.servers = []
        for _ in range(cls.REPLICAS):
            server = JobfacadeServer(cls.emulator_process.vendor_settings(), cls.SERVER_ENV)
            cls.addClassCleanup(server.kill)
            server.start()
            cls.servers.append(server)
        cls.server = cls.servers[0]
        cls.client = jf.JobfacadeClient(cls.server.address, timeout=RPC_TIMEOUT_S)
        cls.addClassCleanup(cls.client.close)


class ListAndGetTest(ServerTestCase):

    def test_each_vendor_lists_well_formed_jobs_across_pages(self):
        for vendor in VENDORS:
            with self.subTest(vendor=vendor):
                pages = list(self.client.iter_pages(f"vendors/{vendor}", page_size=2,
                                                    max_pages=500))
                jobs = [job for page in pages for job in page.jobs]
                self.assertTrue(jobs, f"{vendor} listed no jobs")
                for page in pages[:-1]:
                    self.assertTrue(page.next_page_token)
                    self.assertLessEqual(len(page.jobs), 2)
                self.assertEqual(pages[-1].next_page_token, "")
                names = [job.name for job in jobs]
                self.assertEqual(len(names), len(set(names)), "a job appeared twice")
                for job in jobs:
                    match = NAME_RE.match(job.name)
                    self.assertIsNotNone(match, job.name)
                    self.assertEqual(match.group(1), vendor)
                    self.assertEqual(match.group(2), job.vendor_job_id)
                    self.assertEqual(job.vendor, vendor)
                    self.assertFalse(job.HasField("vendor_payload"))
                # The same listing in one page holds the same jobs.
                self.assertEqual(sorted(names),
                                 sorted(j.name for j in self.list_all(f"vendors/{vendor}",
                                                                      page_size=200)))

    def test_all_vendors_merged_newest_first(self):
        merged = self.list_all("vendors/-", page_size=3)
        self.assertEqual({job.vendor for job in merged}, set(VENDORS))
        per_vendor = sum(len(self.list_all(f"vendors/{v}", page_size=200)) for v in VENDORS)
        self.assertEqual(len(merged), per_vendor)
        keys = [(-job.create_time.ToNanoseconds(), job.name) for job in merged]
        self.assertEqual(keys, sorted(keys), "not newest first (ties by name)")

    def test_get_listed_job_has_contract_fields(self):
        for vendor in VENDORS:
            with self.subTest(vendor=vendor):
                listed = self.list_all(f"vendors/{vendor}", page_size=1)[0]
                job = self.client.get_job(listed.name)
                self.assertEqual(job.name, listed.name)
                self.assertEqual(job.name, f"vendors/{vendor}/jobs/{job.vendor_job_id}")
                self.assertEqual(job.vendor, vendor)
                self.assertTrue(job.provider)
                self.assertEqual(job.provider, job.provider.lower())
                if vendor != "qbraid":
                    self.assertEqual(job.provider, vendor)
                if vendor == "praisonai":
                    self.assertEqual(job.job_type, "agent_run")
                    self.assertEqual(job.shots, 0)
                self.assertNotEqual(job.state, pb.Job.STATE_UNSPECIFIED)
                self.assertTrue(job.vendor_state)
                self.assertTrue(job.HasField("create_time"))
                self.assertEqual(job.create_time, listed.create_time)
                self.assertEqual(job.device, listed.device)
                self.assertFalse(job.HasField("vendor_payload"))

    def test_full_view_carries_vendor_payload(self):
        for vendor in VENDORS:
            with self.subTest(vendor=vendor):
                listed = self.list_all(f"vendors/{vendor}", page_size=1)[0]
                job = self.client.get_job(listed.name, view=pb.JOB_VIEW_FULL)
                self.assertTrue(job.HasField("vendor_payload"))
                self.assertEqual(job.vendor_payload[PAYLOAD_ID_KEY[vendor]], job.vendor_job_id)
                basic = self.client.get_job(listed.name, view=pb.JOB_VIEW_BASIC)
                self.assertFalse(basic.HasField("vendor_payload"))

    def test_state_filter(self):
        jobs = self.list_all("vendors/-", filter="state = COMPLETED")
        self.assertTrue(jobs, "the sandbox has completed demo jobs")
        for job in jobs:
            self.assertEqual(job.state, pb.Job.COMPLETED, job.name)

    def test_page_token_is_integrity_protected_and_bound(self):
        first = self.client.list_jobs("vendors/qbraid", page_size=1)
        token = first.next_page_token
        self.assertTrue(token)
        flipped = token[:len(token) // 2] + ("A" if token[len(token) // 2] != "A" else "B") + \
            token[len(token) // 2 + 1:]
        self.assert_rpc_error(
            lambda: self.client.list_jobs("vendors/qbraid", page_size=1, page_token=flipped),
            grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")
        self.assert_rpc_error(
            lambda: self.client.list_jobs("vendors/ionq", page_size=1, page_token=token),
            grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")
        # A token is bound to the view it was issued for (view unset here).
        self.assert_rpc_error(
            lambda: self.client.list_jobs("vendors/qbraid", page_size=1, page_token=token,
                                          view=pb.JOB_VIEW_FULL),
            grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")
        # ... and to its filter.
        self.assert_rpc_error(
            lambda: self.client.list_jobs("vendors/qbraid", page_size=1, page_token=token,
                                          filter="state = RUNNING"),
            grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")
        # The untouched token still works with the arguments it was issued for.
        second = self.client.list_jobs("vendors/qbraid", page_size=1, page_token=token)
        self.assertEqual(len(second.jobs), 1)
        self.assertNotEqual(second.jobs[0].name, first.jobs[0].name)

    def test_health_serving(self):
        for service in ("", "jobfacade.v1.JobService", "vendors/qbraid", "vendors/ionq",
                        "vendors/praisonai"):
            with self.subTest(service=service):
                self.assertEqual(self.client.health_check(service), "SERVING")

    def test_metrics_endpoint(self):
        self.client.list_jobs("vendors/ionq")
        self.assertIsNotNone(self.server.metrics_address, "no 'jobfacade metrics on' line")
        url = f"http://{self.server.metrics_address}/metrics"
        with urllib.request.urlopen(url, timeout=RPC_TIMEOUT_S) as response:
            self.assertEqual(response.status, 200)
            body = response.read().decode()
        self.assertIn("# TYPE", body)
        self.assertIn("ListJobs", body)


class ErrorTest(ServerTestCase):

    def test_malformed_names(self):
        for name in ("", "vendors/qbraid", "vendors/qbraid/jobs/", "vendors/qbraid/jobs/a b",
                     "projects/x/jobs/y", "vendors//jobs/x"):
            with self.subTest(name=name):
                details = self.assert_rpc_error(lambda: self.client.get_job(name),
                                                grpc.StatusCode.INVALID_ARGUMENT,
                                                "INVALID_NAME")
                self.assertIsNotNone(details.bad_request, "no google.rpc.BadRequest")
                self.assertEqual(details.bad_request.field_violations[0].field, "name")

    def test_unknown_vendor(self):
        self.assert_rpc_error(lambda: self.client.get_job("vendors/acme/jobs/job-1"),
                              grpc.StatusCode.INVALID_ARGUMENT, "UNKNOWN_VENDOR")
        self.assert_rpc_error(lambda: self.client.list_jobs("vendors/acme"),
                              grpc.StatusCode.INVALID_ARGUMENT, "UNKNOWN_VENDOR")

    def test_negative_page_size(self):
        self.assert_rpc_error(lambda: self.client.list_jobs("vendors/ionq", page_size=-1),
                              grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_SIZE")

    def test_missing_job(self):
        for vendor, job_id in MISSING_IDS.items():
            with self.subTest(vendor=vendor):
                details = self.assert_rpc_error(
                    lambda: self.client.get_job(f"vendors/{vendor}/jobs/{job_id}"),
                    grpc.StatusCode.NOT_FOUND, "JOB_NOT_FOUND", vendor=vendor)
                self.assertEqual(details.metadata.get("http_status"), "404")


class CancelDeleteTest(ManualClockTestCase):
    """Cancel and delete against the manual-clock emulator: time moves only when told to."""

    def create_job(self, vendor, expected_state, **spec):
        """Seeds a job through the emulator's control API and reads it through jobfacade."""
        job_id = self.emulator.create_job(vendor=vendor, **spec)
        job = self.client.get_job(f"vendors/{vendor}/jobs/{job_id}")
        self.assertEqual(job.state, expected_state, jf.state_name(job.state))
        return job

    def create_running_job(self, vendor):
        """A job that runs for ten hours of emulator time."""
        return self.create_job(vendor, pb.Job.RUNNING, initializing_seconds=0,
                               queued_seconds=0, running_seconds=36000)

    def create_completed_job(self, vendor):
        """A job that completed a minute ago."""
        return self.create_job(vendor, pb.Job.COMPLETED, created_seconds_ago=60,
                               initializing_seconds=0, queued_seconds=0, running_seconds=1,
                               outcome="completed")

    def test_cancel_of_completed_job_is_refused_and_changes_nothing(self):
        for vendor in VENDORS:
            with self.subTest(vendor=vendor):
                job = self.create_completed_job(vendor)
                self.assert_rpc_error(lambda: self.client.cancel_job(job.name),
                                      grpc.StatusCode.FAILED_PRECONDITION,
                                      "JOB_ALREADY_TERMINAL", vendor=vendor)
                self.assertEqual(self.client.get_job(job.name).state, pb.Job.COMPLETED)

    def test_delete_of_running_job_is_refused(self):
        for vendor in VENDORS:
            with self.subTest(vendor=vendor):
                job = self.create_running_job(vendor)
                self.assert_rpc_error(lambda: self.client.delete_job(job.name),
                                      grpc.StatusCode.FAILED_PRECONDITION, "JOB_NOT_TERMINAL",
                                      vendor=vendor)
                self.assertEqual(self.client.get_job(job.name).state, pb.Job.RUNNING)

    def test_cancel_then_delete_running_job(self):
        for vendor in VENDORS:
            with self.subTest(vendor=vendor):
                job = self.create_running_job(vendor)
                cancelled = self.client.cancel_job(job.name)
                self.assertEqual(cancelled.name, job.name)
                self.assertIn(cancelled.state, (pb.Job.CANCELLING, pb.Job.CANCELLED))
                # Cancel is idempotent while cancelling or cancelled.
                self.assertIn(self.client.cancel_job(job.name).state,
                              (pb.Job.CANCELLING, pb.Job.CANCELLED))
                state = self.client.get_job(job.name).state
                if vendor == "qbraid":
                    # qBraid reads CANCELLING until 5 s of its time pass, and the clock stands.
                    self.assertEqual(state, pb.Job.CANCELLING, jf.state_name(state))
                if state == pb.Job.CANCELLING:
                    # Not terminal yet, so no delete.
                    self.assert_rpc_error(lambda: self.client.delete_job(job.name),
                                          grpc.StatusCode.FAILED_PRECONDITION,
                                          "JOB_NOT_TERMINAL", vendor=vendor)
                self.emulator.advance_clock(30)
                state = self.client.get_job(job.name).state
                self.assertEqual(state, pb.Job.CANCELLED, jf.state_name(state))
                self.client.delete_job(job.name)
                self.assert_rpc_error(lambda: self.client.get_job(job.name),
                                      grpc.StatusCode.NOT_FOUND, "JOB_NOT_FOUND", vendor=vendor)


# Watch polls fast enough that a change reaches the watch soon after the emulator's clock moved.
FAST_WATCH = {"JOBFACADE_WATCH_POLL_MIN": "20ms", "JOBFACADE_WATCH_POLL_MAX": "50ms"}


def watches_open(server):
    """jobfacade_watches_open on `server`'s metrics endpoint."""
    with urllib.request.urlopen(f"http://{server.metrics_address}/metrics",
                                timeout=RPC_TIMEOUT_S) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("jobfacade_watches_open "):
                return float(line.split()[1])
    raise AssertionError("no jobfacade_watches_open in the metrics")


class Watcher:
    """client.watch_job(name) read on a thread into a queue, so every wait is bounded."""

    def __init__(self, client, name):
        self.jobs = queue.Queue()
        self.error = None
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(client, name), daemon=True)
        self._thread.start()

    def _run(self, client, name):
        try:
            for job in client.watch_job(name, timeout=120):
                self.jobs.put(job)
        except grpc.RpcError as err:
            self.error = err
        finally:
            self.ended.set()

    def next(self, timeout_s=RPC_TIMEOUT_S):
        return self.jobs.get(timeout=timeout_s)


class WatchTest(ManualClockTestCase):
    """WatchJob through the Python client: a job followed to its end on every vendor, and a
    watch that outlives the shutdown of the replica it was on."""

    REPLICAS = 2
    SERVER_ENV = FAST_WATCH

    def follow(self, watcher, name, client):
        """Moves the emulator's clock in 1 s steps; whenever GetJob shows a change, the watch
        must have sent exactly that next. Returns the state names the watch sent."""
        first = watcher.next()
        self.assertEqual(first.name, name)
        seen = [jf.state_name(first.state)]
        last = first
        for _ in range(30):
            if last.state in (pb.Job.COMPLETED, pb.Job.FAILED, pb.Job.CANCELLED):
                break
            self.emulator.advance_clock(1)
            now = client.get_job(name)
            if (now.state, now.state_message, now.queue_position) == (
                    last.state, last.state_message, last.queue_position):
                continue
            sent = watcher.next()
            self.assertEqual((sent.state, sent.state_message, sent.queue_position),
                             (now.state, now.state_message, now.queue_position))
            seen.append(jf.state_name(sent.state))
            last = sent
        return seen

    def test_a_watch_follows_a_job_to_its_end_on_every_vendor(self):
        for vendor in VENDORS:
            with self.subTest(vendor=vendor):
                job_id = self.emulator.create_job(vendor=vendor, initializing_seconds=1,
                                                  queued_seconds=3, running_seconds=4,
                                                  outcome="completed")
                name = f"vendors/{vendor}/jobs/{job_id}"
                watcher = Watcher(self.client, name)
                seen = self.follow(watcher, name, self.client)
                self.assertIn("QUEUED", seen)
                self.assertIn("RUNNING", seen)
                self.assertEqual(seen[-1], "COMPLETED")
                self.assertTrue(watcher.ended.wait(RPC_TIMEOUT_S))
                self.assertIsNone(watcher.error)
                self.assertTrue(watcher.jobs.empty())

    def test_a_missing_job_ends_the_watch_not_found(self):
        for vendor in VENDORS:
            with self.subTest(vendor=vendor):
                name = f"vendors/{vendor}/jobs/{MISSING_IDS[vendor]}"
                self.assert_rpc_error(lambda: list(self.client.watch_job(name, timeout=20)),
                                      grpc.StatusCode.NOT_FOUND, "JOB_NOT_FOUND", vendor=vendor)

    def test_the_client_reopens_a_watch_ended_by_a_replica_shutting_down(self):
        # One channel over both replicas, as a headless Service gives a client.
        a, b = self.servers
        target = "ipv4:" + ",".join([a.address, b.address])
        with jf.JobfacadeClient(target, timeout=RPC_TIMEOUT_S) as client:
            job_id = self.emulator.create_job(vendor="ionq", initializing_seconds=0,
                                              queued_seconds=0, running_seconds=5,
                                              outcome="completed")
            name = f"vendors/ionq/jobs/{job_id}"
            watcher = Watcher(client, name)
            self.assertEqual(watcher.next().state, pb.Job.RUNNING)
            self.assertEqual(watches_open(a), 1)
            self.assertEqual(watches_open(b), 0)
            self.assertEqual(a.stop(), 0)  # its watch ends UNAVAILABLE / SHUTTING_DOWN
            deadline = time.monotonic() + RPC_TIMEOUT_S
            while watches_open(b) != 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertEqual(watches_open(b), 1, "the watch was re-opened on the other replica")
            self.emulator.advance_clock(10)
            done = watcher.next()
            self.assertEqual(done.state, pb.Job.COMPLETED)
            self.assertTrue(watcher.ended.wait(RPC_TIMEOUT_S))
            self.assertIsNone(watcher.error, watcher.error)
            self.assertTrue(watcher.jobs.empty(), "RUNNING is not sent twice after re-opening")


def openssl(cwd, *args):
    """Runs openssl in `cwd`; its output is shown only when it fails."""
    done = subprocess.run(["openssl", *args], cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed: {done.stderr}")


class Certificates:
    """Certificates made at test time in a temporary directory: `server` is self-signed for
    127.0.0.1 and localhost, `client` is signed by the CA `ca`, `stranger` by another CA."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="jobfacade-certs-")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl(self.dir, "req", "-x509", *ec, "-keyout", "server.key", "-out", "server.pem",
                "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost")
        with open(os.path.join(self.dir, "client.ext"), "w") as ext:
            ext.write("extendedKeyUsage=clientAuth\n")
        for ca, leaf, serial in (("ca", "client", "1"), ("other-ca", "stranger", "2")):
            openssl(self.dir, "req", "-x509", *ec, "-keyout", f"{ca}.key", "-out", f"{ca}.pem",
                    "-days", "2", "-subj", f"/CN=jobfacade test {ca}",
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign")
            openssl(self.dir, "req", "-new", *ec, "-keyout", f"{leaf}.key", "-out",
                    f"{leaf}.csr", "-subj", f"/CN=jobfacade test {leaf}")
            openssl(self.dir, "x509", "-req", "-in", f"{leaf}.csr", "-CA", f"{ca}.pem",
                    "-CAkey", f"{ca}.key", "-set_serial", serial, "-days", "2",
                    "-extfile", "client.ext", "-out", f"{leaf}.pem")

    def path(self, name):
        return os.path.join(self.dir, name)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def credentials(self, client=None):
        """TLS credentials that trust the server certificate; with `client` ("client" or
        "stranger"), presenting that client certificate."""
        if client is None:
            return grpc.ssl_channel_credentials(root_certificates=self.read("server.pem"))
        return grpc.ssl_channel_credentials(root_certificates=self.read("server.pem"),
                                            private_key=self.read(f"{client}.key"),
                                            certificate_chain=self.read(f"{client}.pem"))

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


# Caller tokens: one that may write, one read-only (JOBFACADE_AUTH_TOKENS_FILE's format).
WRITE_TOKEN = "jf-write-7c1d0a9e4b"
READ_TOKEN = "jf-read-52f8e6b3a1"
# A call that must fail at the connection (TLS refused) fails within this.
REFUSED_TIMEOUT_S = 5


def write_tokens_file(directory):
    path = os.path.join(directory, "tokens")
    with open(path, "w") as f:
        f.write(f"# caller tokens\n{WRITE_TOKEN}\n{READ_TOKEN} read\n")
    return path


class SecurityTestCase(RpcTestCase):
    """A sandbox server with SERVER_ENV(certs, tokens_file) added, for the whole class."""

    @classmethod
    def server_env(cls, certs, tokens_file):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        cls.certs = Certificates()
        cls.addClassCleanup(cls.certs.cleanup)
        cls.tokens_file = write_tokens_file(cls.certs.dir)
        cls.server = JobfacadeServer(extra_env=cls.server_env(cls.certs, cls.tokens_file))
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()
        cls.target = cls.server.address

    def client_for(self, **kwargs):
        client = jf.JobfacadeClient(self.target, timeout=RPC_TIMEOUT_S, **kwargs)
        self.addCleanup(client.close)
        return client

    def assert_refused(self, client):
        """The connection is refused: health (exempt from tokens) fails UNAVAILABLE."""
        with self.assertRaises(grpc.RpcError) as caught:
            client.health_check(timeout=REFUSED_TIMEOUT_S)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAVAILABLE,
                         caught.exception.details())


class BearerTokenTest(SecurityTestCase):
    """JOBFACADE_AUTH_TOKENS_FILE over plaintext: the client's bearer_token."""

    @classmethod
    def server_env(cls, certs, tokens_file):
        return {"JOBFACADE_AUTH_TOKENS_FILE": tokens_file}

    def test_a_call_without_or_with_a_wrong_token_is_unauthenticated(self):
        for token in (None, "jf-not-a-token", WRITE_TOKEN + "x"):
            with self.subTest(token=token):
                client = self.client_for(bearer_token=token)
                self.assert_rpc_error(lambda: client.list_jobs("vendors/ionq"),
                                      grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED")
                self.assert_rpc_error(lambda: list(client.watch_job(
                    "vendors/ionq/jobs/e1a09d90-b2ba-4ea5-9fd7-4bfc14eac524", timeout=20)),
                    grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED")

    def test_health_needs_no_token(self):
        self.assertEqual(self.client_for().health_check(), "SERVING")

    def test_a_write_token_reads_and_writes(self):
        client = self.client_for(bearer_token=WRITE_TOKEN)
        jobs = list(client.iter_jobs("vendors/qbraid", page_size=50))
        self.assertTrue(jobs)
        self.assertEqual(client.get_job(jobs[0].name).name, jobs[0].name)
        watched = list(client.watch_job(
            "vendors/ionq/jobs/e1a09d90-b2ba-4ea5-9fd7-4bfc14eac524", timeout=20))
        self.assertEqual([jf.state_name(job.state) for job in watched], ["COMPLETED"])
        # A write the server allows reaches the job's state check: the demo job is COMPLETED.
        self.assert_rpc_error(
            lambda: client.cancel_job("vendors/ionq/jobs/e1a09d90-b2ba-4ea5-9fd7-4bfc14eac524"),
            grpc.StatusCode.FAILED_PRECONDITION, "JOB_ALREADY_TERMINAL", vendor="ionq")

    def test_a_read_token_reads_but_may_not_write(self):
        client = self.client_for(bearer_token=READ_TOKEN)
        name = "vendors/ionq/jobs/0a7d4e2c-58b1-4f3e-9c6a-2b8f1d0e7a41"  # RUNNING
        self.assertEqual(client.get_job(name).state, pb.Job.RUNNING)
        self.assertTrue(client.list_jobs("vendors/ionq").jobs)
        self.assert_rpc_error(lambda: client.cancel_job(name),
                              grpc.StatusCode.PERMISSION_DENIED, "CALLER_NOT_ALLOWED")
        self.assert_rpc_error(lambda: client.delete_job(name),
                              grpc.StatusCode.PERMISSION_DENIED, "CALLER_NOT_ALLOWED")
        self.assertEqual(client.get_job(name).state, pb.Job.RUNNING)


class TlsTest(SecurityTestCase):
    """JOBFACADE_TLS_CERT_FILE / _KEY_FILE (with tokens): the client's credentials."""

    @classmethod
    def server_env(cls, certs, tokens_file):
        return {"JOBFACADE_TLS_CERT_FILE": certs.path("server.pem"),
                "JOBFACADE_TLS_KEY_FILE": certs.path("server.key"),
                "JOBFACADE_AUTH_TOKENS_FILE": tokens_file}

    def test_calls_over_tls_with_a_token(self):
        client = self.client_for(credentials=self.certs.credentials(), bearer_token=WRITE_TOKEN)
        self.assertEqual(client.health_check(), "SERVING")
        jobs = list(client.iter_jobs("vendors/-", page_size=100))
        self.assertEqual({job.vendor for job in jobs}, set(VENDORS))
        self.assert_rpc_error(lambda: client.get_job("vendors/acme/jobs/x"),
                              grpc.StatusCode.INVALID_ARGUMENT, "UNKNOWN_VENDOR")

    def test_the_token_is_still_required_over_tls(self):
        client = self.client_for(credentials=self.certs.credentials())
        self.assert_rpc_error(lambda: client.list_jobs("vendors/ionq"),
                              grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED")

    def test_plaintext_and_untrusting_clients_are_refused(self):
        self.assert_refused(self.client_for())
        # The system's roots do not hold the test's self-signed certificate.
        self.assert_refused(self.client_for(credentials=grpc.ssl_channel_credentials()))


class MutualTlsTest(SecurityTestCase):
    """JOBFACADE_TLS_CLIENT_CA_FILE: only client certificates signed by that CA get in."""

    @classmethod
    def server_env(cls, certs, tokens_file):
        return {"JOBFACADE_TLS_CERT_FILE": certs.path("server.pem"),
                "JOBFACADE_TLS_KEY_FILE": certs.path("server.key"),
                "JOBFACADE_TLS_CLIENT_CA_FILE": certs.path("ca.pem")}

    def test_a_client_certificate_of_the_ca_is_accepted(self):
        client = self.client_for(credentials=self.certs.credentials("client"))
        self.assertEqual(client.health_check(), "SERVING")
        job = client.get_job(
            "vendors/qbraid/jobs/aws:aws:sim:sv1-37f5-qjob-696a938393f44d9db42773d6")
        self.assertEqual(job.state, pb.Job.COMPLETED)
        self.assertEqual(jf.state_name(list(client.watch_job(job.name, timeout=20))[-1].state),
                         "COMPLETED")

    def test_a_call_without_a_client_certificate_fails(self):
        self.assert_refused(self.client_for(credentials=self.certs.credentials()))

    def test_a_client_certificate_of_another_ca_fails(self):
        self.assert_refused(self.client_for(credentials=self.certs.credentials("stranger")))

    def test_a_plaintext_call_fails(self):
        self.assert_refused(self.client_for())


class CallerKeyTest(ManualClockTestCase):
    """JOBFACADE_ALLOW_CALLER_KEYS: the client's vendor_keys reach the vendor for that call."""

    SERVER_ENV = {"JOBFACADE_ALLOW_CALLER_KEYS": "true"}

    def test_a_caller_key_is_used_for_the_call(self):
        job_id = self.emulator.create_job(vendor="ionq", initializing_seconds=0,
                                          queued_seconds=0, running_seconds=3600)
        name = f"vendors/ionq/jobs/{job_id}"
        with jf.JobfacadeClient(self.server.address, timeout=RPC_TIMEOUT_S,
                                vendor_keys={"ionq": EMULATOR_KEYS["ionq"]}) as client:
            self.assertEqual(client.get_job(name).state, pb.Job.RUNNING)
        with jf.JobfacadeClient(self.server.address, timeout=RPC_TIMEOUT_S,
                                vendor_keys={"ionq": "not-the-ionq-key"}) as client:
            # The vendor refused the caller's own key: UNAUTHENTICATED, not INTERNAL.
            details = self.assert_rpc_error(lambda: client.get_job(name),
                                            grpc.StatusCode.UNAUTHENTICATED,
                                            "VENDOR_AUTH_FAILED", vendor="ionq")
            self.assertEqual(details.metadata.get("http_status"), "401")
            self.assertNotIn("not-the-ionq-key", details.message)
        # The server's own key still answers without one.
        self.assertEqual(self.client.get_job(name).state, pb.Job.RUNNING)

    def test_an_unknown_vendor_in_vendor_keys_is_refused(self):
        with self.assertRaises(KeyError):
            jf.JobfacadeClient(self.server.address, vendor_keys={"acme": "k"})


class CreateAndResultTest(ManualClockTestCase):
    """create_job and get_job_result against the emulated vendors on a manual clock."""

    def bell_spec(self, device):
        pb = jf.messages()
        return pb.JobSpec(
            device=device, shots=100, display_name="bell",
            quantum_program=pb.QuantumProgram(
                format=pb.QuantumProgram.FORMAT_OPENQASM3,
                source="OPENQASM 3.0;\nqubit[2] q;\nh q[0];\ncx q[0], q[1];\n"))

    def test_submit_once_then_read_the_counts(self):
        pb = jf.messages()
        for vendor, device in (("qbraid", "aws:aws:sim:sv1"), ("ionq", "simulator")):
            with self.subTest(vendor=vendor):
                request_id = str(uuid.uuid4())
                job = self.client.create_job(f"vendors/{vendor}", self.bell_spec(device),
                                             request_id=request_id)
                self.assertTrue(job.name.startswith(f"vendors/{vendor}/jobs/"), job.name)
                again = self.client.create_job(f"vendors/{vendor}", self.bell_spec(device),
                                               request_id=request_id)
                self.assertEqual(again.name, job.name)
                self.assert_rpc_error(lambda: self.client.get_job_result(job.name),
                                      grpc.StatusCode.FAILED_PRECONDITION, "JOB_NOT_TERMINAL")
                self.emulator.advance_clock(120)
                result = self.client.get_job_result(job.name)
                self.assertEqual(result.state, pb.Job.COMPLETED)
                self.assertEqual(dict(result.quantum.counts), {"00": 50, "11": 50})
                self.assertEqual(result.quantum.shots, 100)

    def test_agent_run_text(self):
        pb = jf.messages()
        job = self.client.create_job(
            "vendors/praisonai", pb.JobSpec(agent_run=pb.AgentRun(prompt="draft the memo")))
        self.emulator.advance_clock(120)
        result = self.client.get_job_result(job.name)
        self.assertIn("draft the memo", result.agent.text)

    def test_reused_request_id_and_bad_spec(self):
        pb = jf.messages()
        request_id = str(uuid.uuid4())
        self.client.create_job("vendors/ionq", self.bell_spec("simulator"),
                               request_id=request_id)
        other = self.bell_spec("simulator")
        other.shots = 200
        self.assert_rpc_error(
            lambda: self.client.create_job("vendors/ionq", other, request_id=request_id),
            grpc.StatusCode.ALREADY_EXISTS, "REQUEST_ID_REUSED")
        bad = self.bell_spec("simulator")
        bad.shots = 0
        details = self.assert_rpc_error(lambda: self.client.create_job("vendors/ionq", bad),
                                        grpc.StatusCode.INVALID_ARGUMENT, "INVALID_JOB_SPEC")
        self.assertEqual(details.bad_request.field_violations[0].field, "job.shots")


class ShutdownTest(unittest.TestCase):

    def test_sigterm_exits_cleanly(self):
        server = JobfacadeServer()
        self.addCleanup(server.kill)
        server.start()
        with jf.JobfacadeClient(server.address, timeout=RPC_TIMEOUT_S) as client:
            self.assertEqual(client.health_check(), "SERVING")
        self.assertEqual(server.stop(), 0)


def summarize(result):
    """(passed, failed, skipped, fixture_errors), each test counted once.

    A test with several failing subtests is one failed test; a failed class or module
    fixture (setUpClass, a class cleanup, ...) counts as one failure of its own, since the
    tests it kept from running are not in testsRun.
    """
    def test_id(test):
        if isinstance(test, unittest.case._SubTest):
            test = test.test_case
        return test.id() if isinstance(test, unittest.TestCase) else None

    failed, fixture_errors = set(), 0
    for test, _ in result.failures + result.errors:
        if test_id(test) is None:
            fixture_errors += 1
        else:
            failed.add(test_id(test))
    failed.update(test_id(test) for test in result.unexpectedSuccesses)
    skipped = {test_id(test) for test, _ in result.skipped} - failed
    passed = result.testsRun - len(failed) - len(skipped)
    return passed, len(failed) + fixture_errors, len(skipped), fixture_errors


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    passed, failed, skipped, fixture_errors = summarize(result)
    fixtures = f" ({fixture_errors} in class or module fixtures)" if fixture_errors else ""
    print(f"python: {passed} passed, {failed} failed{fixtures}, {skipped} skipped", flush=True)
    sys.exit(0 if result.wasSuccessful() else 1)
