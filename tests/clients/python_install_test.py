"""`pip install client/python` in a fresh venv, offline, and the installed client against the
real server.

The venv is made with `/usr/bin/python3 -m venv --system-site-packages` in a temporary
directory, so grpcio and protobuf are Debian's (python3-grpcio, python3-protobuf) and the
build uses Debian's setuptools and wheel: `pip install --no-build-isolation --no-index`, with
pip's configuration files ignored, so nothing is downloaded. pip builds from a copy of
client/python (it writes build/ and *.egg-info beside the sources). A script run by the
venv's interpreter, from a directory outside the repository and without PYTHONPATH, imports
the installed modules and calls a `jobfacade --sandbox` started here. Environment (set by
tests/clients/CMakeLists.txt): JOBFACADE_BIN, JOBFACADE_EMULATOR_BIN, JOBFACADE_SOURCE_DIR.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import python_client_test as support  # noqa: E402  (the server helpers)

SOURCE_DIR = support.SOURCE_DIR
PYTHON = "/usr/bin/python3"
STEP_TIMEOUT_S = 120

# Run by the venv's python with the server's address as argv[1]; prints one JSON object.
CLIENT_SCRIPT = r'''
import json, sys
import grpc, google.protobuf
import jobfacade_client as jf
import google.rpc.error_details_pb2, grpc_health.v1.health_pb2_grpc
import jobfacade.v1.job_service_pb2_grpc as services
out = {"modules": {m.__name__: m.__file__ for m in (
    jf, jf.messages(), services, google.rpc.error_details_pb2, grpc_health.v1.health_pb2_grpc,
    grpc, google.protobuf)}}
with jf.JobfacadeClient(sys.argv[1], timeout=20) as client:
    out["health"] = client.health_check()
    jobs = list(client.iter_jobs("vendors/ionq", page_size=2))
    out["listed"] = [j.name for j in jobs]
    job = client.get_job("vendors/ionq/jobs/e1a09d90-b2ba-4ea5-9fd7-4bfc14eac524")
    out["state"] = jf.state_name(job.state)
    out["watched"] = [jf.state_name(j.state) for j in client.watch_job(job.name, timeout=20)]
    try:
        client.cancel_job(job.name)
        out["cancel"] = "accepted"
    except grpc.RpcError as err:
        info = jf.error_details(err)
        out["cancel"] = [info.code.name, info.reason, info.domain, info.error_info_count]
    # The generated stub itself, on the client's channel.
    page = client.stub.ListJobs(jf.messages().ListJobsRequest(parent="vendors/praisonai"),
                                timeout=20)
    out["stub_listed"] = len(page.jobs)
print(json.dumps(out))
'''


def clean_env(**extra):
    """The environment without PYTHON*/PIP* settings (no source tree on the path, no pip
    configuration that names an index or a wheel directory)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.update(extra)
    return env


def run(argv, **kwargs):
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=STEP_TIMEOUT_S, **kwargs)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}\n"
                             f"{done.stderr}")
    return done


class PipInstallTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="jobfacade-pip-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, ignore_errors=True)
        cls.venv = os.path.join(cls.dir, "venv")
        cls.venv_python = os.path.join(cls.venv, "bin", "python")
        run([PYTHON, "-m", "venv", "--system-site-packages", cls.venv], env=clean_env())
        cls.sources = os.path.join(cls.dir, "src")
        shutil.copytree(os.path.join(SOURCE_DIR, "client", "python"), cls.sources,
                        ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
        cls.install = run([cls.venv_python, "-m", "pip", "install", "--no-build-isolation",
                           "--no-index", "--no-cache-dir", cls.sources],
                          env=clean_env(), cwd=cls.dir)
        cls.server = support.JobfacadeServer()
        cls.addClassCleanup(cls.server.kill)
        cls.server.start()

    def test_pip_installs_offline(self):
        self.assertIn("Successfully installed jobfacade-client-0.1.0", self.install.stdout)
        shown = run([self.venv_python, "-m", "pip", "show", "-f", "jobfacade-client"],
                    env=clean_env(), cwd=self.dir).stdout
        for path in ("jobfacade_client.py", "jobfacade/v1/job_service_pb2.py",
                     "jobfacade/v1/job_service_pb2_grpc.py", "google/rpc/status_pb2.py",
                     "google/rpc/error_details_pb2.py", "grpc_health/v1/health_pb2_grpc.py"):
            self.assertIn(path, shown)

    def test_the_installed_client_calls_the_server(self):
        done = run([self.venv_python, "-I", "-c", CLIENT_SCRIPT, self.server.address],
                   env=clean_env(), cwd=self.dir)
        out = json.loads(done.stdout.strip().splitlines()[-1])
        site = os.path.join(self.venv, "lib")
        for name, path in out["modules"].items():
            if name in ("grpc", "google.protobuf"):
                # Debian's, through --system-site-packages.
                self.assertTrue(path.startswith("/usr/lib/python3/dist-packages/"), path)
            else:
                self.assertTrue(path.startswith(site + os.sep), f"{name} from {path}")
        self.assertEqual(out["health"], "SERVING")
        self.assertTrue(out["listed"])
        for name in out["listed"]:
            self.assertTrue(name.startswith("vendors/ionq/jobs/"), name)
        self.assertEqual(out["state"], "COMPLETED")
        self.assertEqual(out["watched"], ["COMPLETED"])
        self.assertEqual(out["cancel"],
                         ["FAILED_PRECONDITION", "JOB_ALREADY_TERMINAL", "jobfacade", 1])
        self.assertGreater(out["stub_listed"], 0)


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    failed = len(result.failures) + len(result.errors)
    print(f"python install: {result.testsRun - failed} passed, {failed} failed", flush=True)
    sys.exit(0 if result.wasSuccessful() else 1)
