// A throw-away self-signed TLS certificate for test servers, made with the openssl tool.
#ifndef JOBFACADE_TESTS_FAKES_SELF_SIGNED_CERT_H_
#define JOBFACADE_TESTS_FAKES_SELF_SIGNED_CERT_H_

#include <string>

#include "absl/status/statusor.h"

namespace jobfacade::fakes {

// A certificate (CN=localhost) and its unencrypted key as PEM files in a fresh temporary
// directory, removed again when the object goes. Nothing trusts it unless told to, which is
// the point: a client that verifies certificates refuses it; one given cert_path() as its CA
// accepts it.
class SelfSignedCert {
 public:
  // `ip_san` adds subjectAltName IP:127.0.0.1, so the certificate also matches a URL whose
  // host is 127.0.0.1 (a client trusting it then succeeds; without it the host does not match).
  static absl::StatusOr<SelfSignedCert> Create(bool ip_san = true);

  SelfSignedCert(SelfSignedCert&& other) noexcept;
  SelfSignedCert& operator=(SelfSignedCert&& other) noexcept;
  SelfSignedCert(const SelfSignedCert&) = delete;
  SelfSignedCert& operator=(const SelfSignedCert&) = delete;
  ~SelfSignedCert();

  std::string cert_path() const { return dir_ + "/cert.pem"; }
  std::string key_path() const { return dir_ + "/key.pem"; }

 private:
  explicit SelfSignedCert(std::string dir) : dir_(std::move(dir)) {}
  void Remove();

  std::string dir_;  // empty once moved from
};

}  // namespace jobfacade::fakes

#endif  // JOBFACADE_TESTS_FAKES_SELF_SIGNED_CERT_H_
