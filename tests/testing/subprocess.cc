// fork/exec with a stdout pipe and poll-based, bounded line reads.
#include "tests/testing/subprocess.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace jobfacade::testing {
namespace {

int CountDirEntries(const std::string& path) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return -1;
  int count = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count;
}

}  // namespace

Subprocess::~Subprocess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
  if (!stderr_path_.empty()) unlink(stderr_path_.c_str());
}

bool Subprocess::Start(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& env) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return false;
  char stderr_template[] = "/tmp/jobfacade-test-stderr-XXXXXX";
  int stderr_fd = mkstemp(stderr_template);
  if (stderr_fd < 0) return false;
  stderr_path_ = stderr_template;

  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(absl::StrCat(k, "=", v));
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  pid_ = fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    // The child dies with the test, even when the test crashes before its destructors run.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(stderr_fd, STDERR_FILENO);
    // The child must not inherit the test's blocked signals or ignored SIGPIPE.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  close(stderr_fd);
  stdout_fd_ = pipe_fds[0];
  return true;
}

std::optional<std::string> Subprocess::WaitForLine(const std::string& prefix,
                                                   absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    size_t start = 0;
    for (size_t nl; (nl = stdout_buffer_.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = stdout_buffer_.substr(start, nl - start);
      if (absl::StartsWith(line, prefix)) {
        stdout_buffer_.erase(0, nl + 1);
        return line.substr(prefix.size());
      }
    }
    stdout_buffer_.erase(0, start);
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return std::nullopt;
    pollfd pfd{stdout_fd_, POLLIN, 0};
    int ready = poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (ready <= 0) continue;
    char buf[4096];
    ssize_t n = read(stdout_fd_, buf, sizeof(buf));
    if (n <= 0) return std::nullopt;  // the child closed stdout (exited)
    stdout_buffer_.append(buf, n);
  }
}

std::optional<int> Subprocess::SignalAndWait(int signal, absl::Duration timeout) {
  if (pid_ <= 0) return std::nullopt;
  kill(pid_, signal);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return status;
    }
    // Polling a child's exit has no event to wait on without a signal handler; 10 ms steps.
    usleep(10000);
  }
  return std::nullopt;
}

std::string Subprocess::Stderr() const {
  std::ifstream in(stderr_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Subprocess::running() const { return pid_ > 0 && kill(pid_, 0) == 0; }

int CountThreads(pid_t pid) { return CountDirEntries(absl::StrCat("/proc/", pid, "/task")); }
int CountFds(pid_t pid) { return CountDirEntries(absl::StrCat("/proc/", pid, "/fd")); }

}  // namespace jobfacade::testing
