// Re-reads the `_FILE` settings while the server runs (API.md, "Configuration"): a file whose
// content changed is applied within one poll interval; one that turns unreadable, or whose new
// content is refused, keeps the last good value and logs a warning.
#ifndef JOBFACADE_SERVICE_FILE_RELOADER_H_
#define JOBFACADE_SERVICE_FILE_RELOADER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "adapters/core/scheduler.h"

namespace jobfacade {

class FileReloader {
 public:
  struct File {
    std::string setting;  // for log lines: JOBFACADE_AUTH_TOKENS_FILE
    std::string path;
  };
  // Gets the content of each file of a group, in the order given, and puts it to use; an error
  // (a message naming the setting, never the content) keeps the values in use.
  using Apply = std::function<absl::Status(const std::vector<std::string>& contents)>;

  FileReloader();
  // Stops polling: no Apply runs after it returns.
  ~FileReloader();
  FileReloader(const FileReloader&) = delete;
  FileReloader& operator=(const FileReloader&) = delete;

  // Watches files that are read and applied together, so that a key and the key it replaces
  // (or a certificate and its private key) change at once. The files are read and applied now,
  // too: what the configuration read at start is seen again, and a change made since is not
  // missed.
  void Watch(std::vector<File> files, Apply apply);

  // Reads every group's files and applies each group whose content changed since it was last
  // applied.
  void Poll();

  // Polls every `interval` on `scheduler`'s thread (no thread of its own: reading a few small
  // files takes microseconds) until destroyed; `scheduler` must outlive the reloader. Nothing is
  // scheduled when nothing is watched.
  void Start(Scheduler* scheduler, absl::Duration interval);

 private:
  struct Group {
    std::vector<File> files;
    Apply apply;
    std::vector<std::string> applied;  // the contents last put to use; empty: none yet
    std::string failure;               // the warning last logged; empty: none since
  };
  // Shared with the scheduled polls, which may start after the reloader is gone and then find
  // `stopped`.
  struct State {
    absl::Mutex mu;
    std::vector<Group> groups ABSL_GUARDED_BY(mu);
    bool stopped ABSL_GUARDED_BY(mu) = false;
    Scheduler* scheduler ABSL_GUARDED_BY(mu) = nullptr;
    Scheduler::TaskId next ABSL_GUARDED_BY(mu) = 0;
  };
  // Polls, then schedules the next poll.
  static void PollAndReschedule(const std::shared_ptr<State>& state, absl::Duration interval);
  // Reads `group`'s files and applies them when they changed; `log_change` logs a success.
  static void Refresh(Group& group, bool log_change);

  std::shared_ptr<State> state_;
};

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_FILE_RELOADER_H_
