"""End-to-end tests of the Python client against the real jobfacade binary in sandbox mode.

Each test class starts its own `jobfacade --sandbox` process on loopback (ports chosen by the
kernel, read back from its stdout), drives real RPCs through client/python/jobfacade_client.py
and checks them against API.md. Every wait is bounded; the process is killed in the class
cleanup even when start-up fails. Environment (set by tests/clients/CMakeLists.txt):
JOBFACADE_BIN, JOBFACADE_SOURCE_DIR, PROTOC (optional).
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

_gen_dir = None
pb = None


def setUpModule():
    global _gen_dir, pb
    _gen_dir = tempfile.mkdtemp(prefix="jobfacade-pygen-")
    env = dict(os.environ)
    subprocess.run(["bash", os.path.join(SOURCE_DIR, "client", "python", "gen.sh"), _gen_dir],
                   check=True, env=env, timeout=60)
    jf.use_generated(_gen_dir)
    pb = jf.messages()


def tearDownModule():
    if _gen_dir:
        shutil.rmtree(_gen_dir, ignore_errors=True)


class JobfacadeServer:
    """One jobfacade process in sandbox mode, with its ports read from its stdout."""

    def __init__(self):
        self.proc = None
        self.address = None
        self.emulator_url = None
        self.metrics_address = None
        self._lines = queue.Queue()
        self._reader = None
        self.stdout_lines = []

    def start(self):
        binary = os.environ.get("JOBFACADE_BIN")
        if not binary or not os.access(binary, os.X_OK):
            raise RuntimeError(f"JOBFACADE_BIN is not an executable: {binary!r}")
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("QBRAID_", "IONQ_", "PRAISONAI_", "JOBFACADE_"))}
        env["JOBFACADE_LISTEN"] = "127.0.0.1:0"
        env["JOBFACADE_METRICS_LISTEN"] = "127.0.0.1:0"
        self.proc = subprocess.Popen([binary, "--sandbox"], env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while self.address is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RuntimeError(f"no 'jobfacade listening on' line within {START_TIMEOUT_S}s;"
                                   f" stdout: {self.stdout_lines}")
            try:
                line = self._lines.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"jobfacade exited with {self.proc.returncode} before "
                                       f"serving; stdout: {self.stdout_lines}")
                continue
            if line is None:
                raise RuntimeError(f"jobfacade closed stdout before serving: {self.stdout_lines}")
            match = re.search(r"vendor emulator on (127\.0\.0\.1:\d+)", line)
            if match:
                self.emulator_url = "http://" + match.group(1)
            match = re.search(r"jobfacade metrics on (\S+:\d+)", line)
            if match:
                self.metrics_address = match.group(1)
            match = re.search(r"jobfacade listening on (\S+:\d+)", line)
            if match:
                self.address = match.group(1)
        if self.emulator_url is None:
            raise RuntimeError(f"no sandbox emulator line before serving: {self.stdout_lines}")

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

    def emulator_post(self, path, body):
        request = urllib.request.Request(
            self.emulator_url + path, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=RPC_TIMEOUT_S) as response:
            text = response.read().decode()
            return json.loads(text) if text.strip() else {}


class ServerTestCase(unittest.TestCase):
    """Starts one sandbox server for the whole class; always kills it afterwards."""

    @classmethod
    def setUpClass(cls):
        cls.server = JobfacadeServer()
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()
        cls.client = jf.JobfacadeClient(cls.server.address, timeout=RPC_TIMEOUT_S)
        cls.addClassCleanup(cls.client.close)

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

    def find_job(self, vendor, state):
        for job in self.list_all(f"vendors/{vendor}", page_size=100):
            if job.state == state:
                return job
        self.fail(f"no {jf.state_name(state)} job in the sandbox's {vendor} listing")


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
        self.assert_rpc_error(
            lambda: self.client.list_jobs("vendors/qbraid", page_size=1, page_token=token,
                                          filter="state = RUNNING"),
            grpc.StatusCode.INVALID_ARGUMENT, "INVALID_PAGE_TOKEN")

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


class CancelDeleteTest(ServerTestCase):

    def create_running_job(self, vendor):
        """A job that runs for hours, made through the emulator's control API."""
        created = self.server.emulator_post("/_emulator/jobs", {
            "vendor": vendor, "initializing_seconds": 0, "queued_seconds": 0,
            "running_seconds": 36000})
        job_id = created.get("id") or created.get("job_id")
        self.assertTrue(job_id, f"POST /_emulator/jobs answered {created}")
        job = self.client.get_job(f"vendors/{vendor}/jobs/{job_id}")
        self.assertEqual(job.state, pb.Job.RUNNING)
        return job

    def test_cancel_of_completed_job_is_refused_and_changes_nothing(self):
        for vendor in VENDORS:
            with self.subTest(vendor=vendor):
                job = self.find_job(vendor, pb.Job.COMPLETED)
                self.assert_rpc_error(lambda: self.client.cancel_job(job.name),
                                      grpc.StatusCode.FAILED_PRECONDITION,
                                      "JOB_ALREADY_TERMINAL", vendor=vendor)
                self.assertEqual(self.client.get_job(job.name).state, pb.Job.COMPLETED)

    def test_delete_of_running_job_is_refused(self):
        for vendor in VENDORS:
            with self.subTest(vendor=vendor):
                job = self.find_job(vendor, pb.Job.RUNNING)
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
                if self.client.get_job(job.name).state == pb.Job.CANCELLING:
                    # qBraid reads CANCELLING for a few seconds: not terminal, so no delete.
                    self.assert_rpc_error(lambda: self.client.delete_job(job.name),
                                          grpc.StatusCode.FAILED_PRECONDITION,
                                          "JOB_NOT_TERMINAL", vendor=vendor)
                    states = [j.state for j in self.client.watch_job(job.name, timeout=60)]
                    self.assertEqual(states[-1], pb.Job.CANCELLED, states)
                self.assertEqual(self.client.get_job(job.name).state, pb.Job.CANCELLED)
                self.client.delete_job(job.name)
                self.assert_rpc_error(lambda: self.client.get_job(job.name),
                                      grpc.StatusCode.NOT_FOUND, "JOB_NOT_FOUND", vendor=vendor)


class ShutdownTest(unittest.TestCase):

    def test_sigterm_exits_cleanly(self):
        server = JobfacadeServer()
        self.addCleanup(server.kill)
        server.start()
        with jf.JobfacadeClient(server.address, timeout=RPC_TIMEOUT_S) as client:
            self.assertEqual(client.health_check(), "SERVING")
        self.assertEqual(server.stop(), 0)


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"python: {passed} passed, {failed} failed, "
          f"{len(result.skipped)} skipped", flush=True)
    sys.exit(0 if result.wasSuccessful() else 1)
