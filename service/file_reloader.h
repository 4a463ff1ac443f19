// Re-reads the `_FILE` settings while the server runs (API.md, "Configuration"): a file whose
// content changed is applied within one poll interval; one that turns unreadable, or whose new
// content is refused, keeps the last good value and logs a warning.
#ifndef JOBFACADE_SERVICE_FILE_RELOADER_H_
#define JOBFACADE_SERVICE_FILE_RELOADER_H_

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

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

  FileReloader() = default;
  ~FileReloader();  // stops the polling thread
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

  // Polls every `interval` on a thread of its own until destroyed.
  void Start(absl::Duration interval);

 private:
  struct Group {
    std::vector<File> files;
    Apply apply;
    std::vector<std::string> applied;  // the contents last put to use; empty: none yet
    std::string failure;               // the warning last logged; empty: none since
  };
  // Reads `group`'s files and applies them when they changed; `log_change` logs a success.
  static void Refresh(Group& group, bool log_change);

  absl::Mutex mu_;
  std::vector<Group> groups_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_FILE_RELOADER_H_
