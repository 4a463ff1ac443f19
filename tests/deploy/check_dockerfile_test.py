#!/usr/bin/env python3
"""check_dockerfile.py rejects broken Dockerfiles, each with a message naming the fault.

Each case runs the check on a scratch copy of the repository (deploy/ copied, the rest linked)
whose deploy/Dockerfile or deploy/runtime-packages.txt is altered.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
CHECK = os.path.join(HERE, "check_dockerfile.py")
BUILD = os.environ.get("JOBFACADE_BUILD_DIR", os.path.join(REPO, "build"))


class CheckDockerfileTest(unittest.TestCase):
    def setUp(self):
        self.scratch = tempfile.mkdtemp(prefix="check-dockerfile-")
        self.addCleanup(shutil.rmtree, self.scratch)
        for name in os.listdir(REPO):
            if name in ("deploy", "build", "node_modules") or name.startswith("build-"):
                continue
            os.symlink(os.path.join(REPO, name), os.path.join(self.scratch, name))
        shutil.copytree(os.path.join(REPO, "deploy"), os.path.join(self.scratch, "deploy"),
                        ignore=shutil.ignore_patterns("k8s"))
        with open(os.path.join(REPO, "deploy", "Dockerfile")) as f:
            self.dockerfile = f.read()

    def run_check(self, dockerfile=None, build_dir=None):
        if dockerfile is not None:
            with open(os.path.join(self.scratch, "deploy", "Dockerfile"), "w") as f:
                f.write(dockerfile)
        result = subprocess.run(
            [sys.executable, CHECK, "--repo", self.scratch,
             "--build-dir", build_dir or os.path.join(self.scratch, "no-build")],
            capture_output=True, text=True, timeout=120)
        return result.returncode, result.stdout + result.stderr

    def edit(self, old, new, count=1):
        self.assertIn(old, self.dockerfile)
        return self.dockerfile.replace(old, new, count)

    def assert_rejected(self, dockerfile, *patterns, build_dir=None):
        code, out = self.run_check(dockerfile, build_dir)
        self.assertEqual(code, 1, out)
        for pattern in patterns:
            self.assertRegex(out, pattern)

    def test_the_real_dockerfile_passes(self):
        code, out = self.run_check()
        self.assertEqual(code, 0, out)
        self.assertIn("skip: no built binaries", out)

    def test_root_or_named_user(self):
        self.assert_rejected(self.edit("USER 10001:10001", "USER 0"), r"USER 0 is root")
        self.assert_rejected(self.edit("USER 10001:10001", "USER jobfacade"),
                             r"USER jobfacade is not numeric")
        self.assert_rejected(self.edit("USER 10001:10001\n", ""),
                             r"the runtime stage sets no USER")

    def test_unpinned_or_wrong_base_images(self):
        self.assert_rejected(self.edit("FROM debian:12-slim", "FROM debian:latest"),
                             r"FROM debian:latest uses the tag latest",
                             r"runtime stage is debian:latest, not debian:12-slim")
        self.assert_rejected(self.edit("FROM debian:12 AS build", "FROM debian AS build"),
                             r"FROM debian has no tag")
        single = re.sub(r"(?s)# ---- runtime stage.*", "", self.dockerfile)
        self.assert_rejected(single, r"expected a build stage and a runtime stage, found 1")

    def test_no_healthcheck(self):
        without = re.sub(r"HEALTHCHECK [^\n]*\\\n[^\n]*\n", "", self.dockerfile)
        self.assertNotIn("HEALTHCHECK", without)
        self.assert_rejected(without, r"the runtime stage has no HEALTHCHECK")
        self.assert_rejected(
            self.edit('CMD ["/usr/local/bin/jobfacade-healthcheck"]', 'CMD ["/bin/true"]'),
            r"HEALTHCHECK does not run jobfacade-probe")

    def test_copy_sources(self):
        self.assert_rejected(self.edit("COPY service service", "COPY servce service"),
                             r"COPY source servce does not exist")
        self.assert_rejected(self.edit("COPY service service", "COPY service service\nCOPY tests tests"),
                             r"COPY source tests is excluded by deploy/Dockerfile.dockerignore")
        self.assert_rejected(self.edit("COPY --from=build", "COPY --from=builder"),
                             r"COPY --from=builder names no earlier stage")
        self.assert_rejected(
            self.edit("COPY --from=build /out/jobfacade /out/jobctl /out/jobfacade-probe",
                      "COPY --from=build /out/jobfacade /out/jobctl"),
            r"does not COPY the jobfacade-probe binary")

    def test_unknown_debian_package(self):
        if not shutil.which("apt-cache"):
            self.skipTest("apt-cache not available")
        self.assert_rejected(self.edit("ca-certificates \\", "ca-certificates libgrpc++9.99 \\"),
                             r"apt-cache does not know the Debian package libgrpc\+\+9\.99")

    def test_build_flags_and_targets(self):
        self.assert_rejected(self.edit(" -DJOBFACADE_BUILD_TESTS=OFF", ""),
                             r"does not configure with -DJOBFACADE_BUILD_TESTS=OFF")
        self.assert_rejected(self.edit(" jobfacade-probe -- -j", " -- -j"),
                             r"does not build the target jobfacade-probe")

    def test_runtime_packages_must_cover_the_linked_libraries(self):
        if not os.path.isfile(os.path.join(BUILD, "service", "jobfacade")):
            self.skipTest(f"{BUILD}/service/jobfacade is not built")
        path = os.path.join(self.scratch, "deploy", "runtime-packages.txt")
        with open(path) as f:
            lines = f.read().splitlines()
        self.assertIn("libspdlog1.10", lines)
        with open(path, "w") as f:
            f.write("\n".join(line for line in lines if line != "libspdlog1.10") + "\n")
        self.assert_rejected(None, r"links \S+libspdlog\S+ from libspdlog1\.10, which the "
                                   r"runtime image does not install", build_dir=BUILD)


if __name__ == "__main__":
    unittest.main(verbosity=2)
