// TLS serving credentials that follow JOBFACADE_TLS_CERT_FILE, _KEY_FILE and _CLIENT_CA_FILE
// while the server runs: a new certificate serves the next handshake, connections already open
// keep theirs.
#ifndef JOBFACADE_SERVICE_TLS_CREDENTIALS_H_
#define JOBFACADE_SERVICE_TLS_CREDENTIALS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "service/file_reloader.h"

namespace jobfacade {

// gRPC's FileWatcherCertificateProvider re-reads files on its own, but it reads the key and the
// certificate one after the other (a rotation between the two reads pairs a new key with an old
// certificate) and it drops what it had when a file turns unreadable. So the files are read here,
// checked together (the key must match the certificate), and only a good set is handed to gRPC:
// through in-memory files (memfd) that change in one step, the key and its chain in one of them.
class ReloadingTlsCredentials {
 public:
  // Reads and checks the files now (INVALID_ARGUMENT naming the setting when they are not a
  // usable set), then watches them with `reloader`. An empty `client_ca_file` serves TLS without
  // client certificates; otherwise every client must present one signed by that CA (mTLS).
  static absl::StatusOr<std::unique_ptr<ReloadingTlsCredentials>> Create(
      const std::string& cert_file, const std::string& key_file, const std::string& client_ca_file,
      FileReloader* reloader);
  ~ReloadingTlsCredentials();

  std::shared_ptr<grpc::ServerCredentials> credentials() const { return credentials_; }

 private:
  ReloadingTlsCredentials() = default;

  int identity_fd_ = -1;  // the certificate chain, then the private key
  int ca_fd_ = -1;        // the client CA bundle (mTLS), or -1
  std::shared_ptr<grpc::ServerCredentials> credentials_;
};

// Checks that `cert_pem` holds a certificate chain whose first certificate matches the private
// key in `key_pem`, and that `ca_pem` (unless empty) holds at least one certificate; the error
// names the setting at fault.
absl::Status CheckTlsMaterial(const std::string& cert_pem, const std::string& key_pem,
                              const std::string& ca_pem);

}  // namespace jobfacade

#endif  // JOBFACADE_SERVICE_TLS_CREDENTIALS_H_
