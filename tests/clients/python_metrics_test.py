"""The real server's /metrics after real calls, read by Prometheus' own Python parser.

Starts `jobfacade --sandbox` (the class from python_client_test), makes GetJob calls that
succeed and fail and a listing, then parses the exposition with Debian's python3-prometheus-client
(`prometheus_client.parser.text_string_to_metric_families`) and checks what API.md lists: the
RPC and vendor-request histograms with their labels and counts, the counters, and the process
metrics. Environment (set by tests/clients/CMakeLists.txt): JOBFACADE_BIN, JOBFACADE_SOURCE_DIR.
"""

import os
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import grpc  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

import python_client_test as harness  # noqa: E402
from python_client_test import jf  # noqa: E402

OK_CALLS = 7
NOT_FOUND_CALLS = 3


def scrape(address):
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as response:
        assert response.status == 200, response.status
        return response.read().decode()


def families(text):
    """Every family by name; raises on anything the parser does not accept."""
    return {family.name: family for family in text_string_to_metric_families(text)}


def samples(family, suffix, **labels):
    """The family's samples named family.name + suffix whose labels include `labels`."""
    return [s for s in family.samples
            if s.name == family.name + suffix
            and all(s.labels.get(k) == v for k, v in labels.items())]


class MetricsExpositionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.setUpModule()
        cls.server = harness.JobfacadeServer()
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()
        cls.client = jf.JobfacadeClient(cls.server.address, timeout=harness.RPC_TIMEOUT_S)
        cls.addClassCleanup(cls.client.close)
        cls.started = time.time()
        job = cls.client.list_jobs("vendors/qbraid", page_size=1).jobs[0]
        for _ in range(OK_CALLS):
            cls.client.get_job(job.name)
        for _ in range(NOT_FOUND_CALLS):
            try:
                cls.client.get_job("vendors/qbraid/jobs/" + harness.MISSING_IDS["qbraid"])
                raise AssertionError("a missing job was found")
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.NOT_FOUND, error
        cls.text = scrape(cls.server.metrics_address)
        cls.families = families(cls.text)

    def test_rpc_histogram_counts_each_call_by_method_and_code(self):
        family = self.families["jobfacade_rpc_duration_seconds"]
        self.assertEqual(family.type, "histogram")
        for code, calls in (("OK", OK_CALLS), ("NOT_FOUND", NOT_FOUND_CALLS)):
            with self.subTest(code=code):
                count = samples(family, "_count", method="GetJob", code=code)
                self.assertEqual([s.value for s in count], [calls])
                buckets = samples(family, "_bucket", method="GetJob", code=code)
                bounds = [float(s.labels["le"]) for s in buckets]
                values = [s.value for s in buckets]
                self.assertEqual(bounds, sorted(bounds))
                self.assertEqual(values, sorted(values), "buckets are not cumulative")
                self.assertEqual(bounds[-1], float("inf"))
                self.assertEqual(values[-1], calls)
                self.assertGreater(samples(family, "_sum", method="GetJob", code=code)[0].value,
                                   0)
        self.assertEqual(len(samples(self.families["jobfacade_rpc_duration_seconds"], "_count",
                                     method="ListJobs", code="OK")), 1)

    def test_rpc_counter_agrees_with_the_histogram(self):
        family = self.families["jobfacade_rpcs"]  # the parser drops a counter's _total
        self.assertEqual(family.type, "counter")
        self.assertEqual([s.value for s in samples(family, "_total", method="GetJob", code="OK")],
                         [OK_CALLS])

    def test_vendor_request_histogram_has_the_vendors_statuses(self):
        family = self.families["jobfacade_vendor_request_duration_seconds"]
        self.assertEqual(family.type, "histogram")
        statuses = {s.labels["http_status"] for s in samples(family, "_count", vendor="qbraid")}
        self.assertIn("200", statuses)
        self.assertIn("404", statuses)
        operations = {s.labels["operation"] for s in samples(family, "_count", vendor="qbraid")}
        self.assertLessEqual({"get", "list"}, operations)
        for sample in samples(family, "_count"):
            self.assertRegex(sample.labels["http_status"], r"^([1-5][0-9][0-9]|none)$")

    def test_callback_families_and_gauges_parse(self):
        self.assertEqual(self.families["jobfacade_cache_requests"].type, "counter")
        self.assertEqual(self.families["jobfacade_vendor_circuit_open"].type, "gauge")
        self.assertEqual(self.families["jobfacade_rpcs_in_flight"].type, "gauge")
        circuit = {s.labels["vendor"]: s.value
                   for s in self.families["jobfacade_vendor_circuit_open"].samples}
        self.assertEqual(circuit, {"qbraid": 0, "ionq": 0, "praisonai": 0})

    def test_process_metrics_are_plausible(self):
        value = {name: self.families[name].samples[0].value
                 for name in ("process_resident_memory_bytes", "process_start_time_seconds",
                              "process_open_fds", "process_max_fds",
                              "process_virtual_memory_bytes")}
        self.assertGreater(value["process_resident_memory_bytes"], 1 << 20)
        self.assertGreater(value["process_virtual_memory_bytes"],
                           value["process_resident_memory_bytes"])
        self.assertLess(abs(value["process_start_time_seconds"] - self.started), 120)
        self.assertGreater(value["process_open_fds"], 3)
        self.assertGreaterEqual(value["process_max_fds"], value["process_open_fds"])
        cpu = self.families["process_cpu_seconds"]  # a counter: the parser drops _total
        self.assertEqual(cpu.type, "counter")
        self.assertGreater(cpu.samples[0].value, 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
