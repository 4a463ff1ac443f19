// Self-signed test certificates through the openssl command-line tool.
#include "tests/fakes/self_signed_cert.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace jobfacade::fakes {

absl::StatusOr<SelfSignedCert> SelfSignedCert::Create(bool ip_san) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/jobfacade-cert-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError("cannot make a temporary directory for the certificate");
  }
  SelfSignedCert cert(pattern);
  // The paths are ours (mkdtemp), so they need no shell quoting.
  const std::string command =
      absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 -keyout ",
                   cert.key_path(), " -out ", cert.cert_path(),
                   ip_san ? " -addext subjectAltName=IP:127.0.0.1" : "", " >/dev/null 2>&1");
  if (std::system(command.c_str()) != 0) {
    return absl::FailedPreconditionError("the openssl tool could not make a certificate");
  }
  return cert;
}

SelfSignedCert::SelfSignedCert(SelfSignedCert&& other) noexcept
    : dir_(std::exchange(other.dir_, std::string())) {}

SelfSignedCert& SelfSignedCert::operator=(SelfSignedCert&& other) noexcept {
  if (this != &other) {
    Remove();
    dir_ = std::exchange(other.dir_, std::string());
  }
  return *this;
}

SelfSignedCert::~SelfSignedCert() { Remove(); }

void SelfSignedCert::Remove() {
  if (dir_.empty()) return;
  std::remove(key_path().c_str());
  std::remove(cert_path().c_str());
  rmdir(dir_.c_str());
  dir_.clear();
}

}  // namespace jobfacade::fakes
