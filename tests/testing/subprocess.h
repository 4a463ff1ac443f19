// Runs a child process (the real jobfacade binary) for integration tests: environment in,
// stdout lines out, bounded waits, and a kill that always happens.
#ifndef JOBFACADE_TESTS_TESTING_SUBPROCESS_H_
#define JOBFACADE_TESTS_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace jobfacade::testing {

class Subprocess {
 public:
  Subprocess() = default;
  ~Subprocess();  // SIGKILLs the child if it still runs
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // Starts `argv` with exactly `env` as its environment; stdout is piped to us, stderr goes
  // to a file whose content Stderr() returns.
  bool Start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);

  // Reads stdout until a line starting with `prefix` arrives; returns the rest of that line.
  std::optional<std::string> WaitForLine(const std::string& prefix, absl::Duration timeout);

  // Sends `signal` and waits up to `timeout` for the exit; returns the exit status as from
  // waitpid, or nullopt on time-out.
  std::optional<int> SignalAndWait(int signal, absl::Duration timeout);

  // Everything the child wrote to stderr so far.
  std::string Stderr() const;

  pid_t pid() const { return pid_; }
  bool running() const;

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string stdout_buffer_;
  std::string stderr_path_;
};

// The number of threads of process `pid`, from /proc/PID/task.
int CountThreads(pid_t pid);
// The number of open file descriptors of process `pid`, from /proc/PID/fd.
int CountFds(pid_t pid);

}  // namespace jobfacade::testing

#endif  // JOBFACADE_TESTS_TESTING_SUBPROCESS_H_
