// FileReloader: one thread that reads a handful of small files every few seconds.
#include "service/file_reloader.h"

#include <utility>

#include "absl/strings/str_join.h"
#include "service/config.h"
#include "service/log.h"

namespace jobfacade {

FileReloader::~FileReloader() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void FileReloader::Watch(std::vector<File> files, Apply apply) {
  Group group{std::move(files), std::move(apply), {}, {}};
  Refresh(group, /*log_change=*/false);
  absl::MutexLock lock(&mu_);
  groups_.push_back(std::move(group));
}

void FileReloader::Poll() {
  absl::MutexLock lock(&mu_);
  for (Group& group : groups_) Refresh(group, /*log_change=*/true);
}

void FileReloader::Start(absl::Duration interval) {
  thread_ = std::thread([this, interval] {
    absl::MutexLock lock(&mu_);
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    while (!mu_.AwaitWithTimeout(absl::Condition(&stopping), interval)) {
      for (Group& group : groups_) Refresh(group, /*log_change=*/true);
    }
  });
}

void FileReloader::Refresh(Group& group, bool log_change) {
  std::vector<std::string> contents;
  absl::Status status;
  for (const File& file : group.files) {
    auto content = ReadSettingFile(file.setting, file.path);
    if (!content.ok()) {
      status = content.status();
      break;
    }
    contents.push_back(*std::move(content));
  }
  if (status.ok() && contents == group.applied) {
    if (!group.failure.empty()) {
      LogLine(LogLevel::kInfo, "setting file readable again")
          .Str("setting", group.files.front().setting);
      group.failure.clear();
    }
    return;
  }
  if (status.ok()) status = group.apply(contents);
  std::vector<std::string> settings;
  for (const File& file : group.files) settings.push_back(file.setting);
  if (!status.ok()) {
    // The message names the setting and the path, never the content.
    std::string failure(status.message());
    if (failure != group.failure) {
      LogLine(LogLevel::kWarn, "setting file not applied; the last good value stays in use")
          .Str("setting", absl::StrJoin(settings, ","))
          .Str("error", failure);
      group.failure = std::move(failure);
    }
    return;
  }
  group.applied = std::move(contents);
  group.failure.clear();
  if (log_change) {
    LogLine(LogLevel::kInfo, "setting file reloaded").Str("setting", absl::StrJoin(settings, ","));
  }
}

}  // namespace jobfacade
