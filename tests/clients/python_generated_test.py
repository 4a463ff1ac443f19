"""The Python client's committed generated modules are what client/python/gen.sh makes now.

gen.sh runs into a temporary directory with the build's protoc (PROTOC, set by
tests/clients/CMakeLists.txt) and grpc_python_plugin; every .py file under the generated
packages (jobfacade/, google/, grpc_health/) must exist on both sides with the same bytes.
A proto change without `client/python/gen.sh` fails here. Also checks that
jobfacade_client.use_generated() puts such a fresh tree's jobfacade.v1 and google.rpc ahead of
the committed ones.
"""

import difflib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.environ.get(
    "JOBFACADE_SOURCE_DIR",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
CLIENT_DIR = os.path.join(SOURCE_DIR, "client", "python")
GENERATED_PACKAGES = ("jobfacade", "google", "grpc_health")
GEN_TIMEOUT_S = 60


def generated_files(root):
    """{relative path: bytes} of the .py files under the generated packages of `root`."""
    files = {}
    for package in GENERATED_PACKAGES:
        for directory, subdirs, names in os.walk(os.path.join(root, package)):
            subdirs[:] = [d for d in subdirs if d != "__pycache__"]
            for name in names:
                if name.endswith(".py"):
                    path = os.path.join(directory, name)
                    with open(path, "rb") as f:
                        files[os.path.relpath(path, root)] = f.read()
    return files


class GeneratedModulesTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.fresh_dir = tempfile.mkdtemp(prefix="jobfacade-pygen-")
        cls.addClassCleanup(shutil.rmtree, cls.fresh_dir, ignore_errors=True)
        done = subprocess.run(["bash", os.path.join(CLIENT_DIR, "gen.sh"), cls.fresh_dir],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=GEN_TIMEOUT_S)
        if done.returncode != 0:
            raise RuntimeError(f"gen.sh failed ({done.returncode}): {done.stderr}")
        protoc = os.environ.get("PROTOC", "protoc")
        cls.protoc_version = subprocess.run([protoc, "--version"], capture_output=True,
                                            text=True, timeout=GEN_TIMEOUT_S).stdout.strip()

    def test_committed_modules_equal_a_fresh_generation(self):
        fresh = generated_files(self.fresh_dir)
        committed = generated_files(CLIENT_DIR)
        self.assertIn(os.path.join("jobfacade", "v1", "job_service_pb2_grpc.py"), fresh)
        self.assertIn(os.path.join("grpc_health", "v1", "health_pb2_grpc.py"), fresh)
        self.assertIn(os.path.join("google", "rpc", "error_details_pb2.py"), fresh)
        problems = []
        for path in sorted(set(fresh) - set(committed)):
            problems.append(f"missing from client/python: {path}")
        for path in sorted(set(committed) - set(fresh)):
            problems.append(f"not made by gen.sh any more: client/python/{path}")
        for path in sorted(set(fresh) & set(committed)):
            if fresh[path] != committed[path]:
                diff = difflib.unified_diff(
                    committed[path].decode(errors="replace").splitlines(),
                    fresh[path].decode(errors="replace").splitlines(),
                    f"client/python/{path}", f"fresh/{path}", lineterm="", n=1)
                problems.append("\n".join(list(diff)[:20]))
        if problems:
            self.fail(f"the committed generated modules are stale (fresh: "
                      f"{self.protoc_version}); run client/python/gen.sh:\n"
                      + "\n".join(problems))

    def test_use_generated_puts_a_fresh_tree_first(self):
        script = (
            "import sys, jobfacade_client as jf\n"
            f"jf.use_generated({self.fresh_dir!r})\n"
            "import google.rpc.status_pb2\n"
            "print(jf.messages().__file__)\n"
            "print(jf.services().__file__)\n"
            "print(google.rpc.status_pb2.__file__)\n")
        done = subprocess.run([sys.executable, "-c", script], cwd=CLIENT_DIR,
                              capture_output=True, text=True, timeout=GEN_TIMEOUT_S)
        self.assertEqual(done.returncode, 0, done.stderr)
        for line in done.stdout.splitlines():
            self.assertTrue(line.startswith(self.fresh_dir + os.sep), line)
        self.assertEqual(len(done.stdout.splitlines()), 3)


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    failed = len(result.failures) + len(result.errors)
    print(f"python generated: {result.testsRun - failed} passed, {failed} failed", flush=True)
    sys.exit(0 if result.wasSuccessful() else 1)
