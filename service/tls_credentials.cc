// ReloadingTlsCredentials: checked PEM sets in memfds behind gRPC's file-watching provider.
#include "service/tls_credentials.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/config.h"

namespace jobfacade {
namespace {

constexpr char kCertSetting[] = "JOBFACADE_TLS_CERT_FILE";
constexpr char kKeySetting[] = "JOBFACADE_TLS_KEY_FILE";
constexpr char kCaSetting[] = "JOBFACADE_TLS_CLIENT_CA_FILE";
// How often gRPC's provider looks at the in-memory files: a checked rotation serves new
// handshakes this long after the reloader saw it at most.
constexpr unsigned int kProviderRefreshSeconds = 1;

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* x509) const { X509_free(x509); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::unique_ptr<BIO, BioFree> MemoryBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

std::unique_ptr<X509, X509Free> FirstCertificate(const std::string& pem) {
  auto bio = MemoryBio(pem);
  if (bio == nullptr) return nullptr;
  return std::unique_ptr<X509, X509Free>(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// Makes `fd` (or a new memfd when it is -1) hold `content`, in one step for anyone who opens
// /proc/self/fd/<fd>: the content goes to a new memfd that then takes the old one's number.
absl::StatusOr<int> PutInMemoryFile(int fd, const std::string& content) {
  const int fresh = memfd_create("jobfacade-tls", MFD_CLOEXEC);
  if (fresh < 0) {
    return absl::InternalError(absl::StrCat("memfd_create: ", std::strerror(errno)));
  }
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = write(fresh, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      close(fresh);
      return absl::InternalError(absl::StrCat("writing the TLS material: ", why));
    }
    written += static_cast<size_t>(n);
  }
  if (fd < 0) return fresh;
  if (dup2(fresh, fd) < 0) {
    const std::string why = std::strerror(errno);
    close(fresh);
    return absl::InternalError(absl::StrCat("dup2: ", why));
  }
  close(fresh);
  return fd;
}

std::string FdPath(int fd) { return absl::StrCat("/proc/self/fd/", fd); }

}  // namespace

absl::Status CheckTlsMaterial(const std::string& cert_pem, const std::string& key_pem,
                              const std::string& ca_pem) {
  ERR_clear_error();
  auto cert = FirstCertificate(cert_pem);
  if (cert == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(kCertSetting, ": no PEM certificate in it"));
  }
  auto key_bio = MemoryBio(key_pem);
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      key_bio == nullptr ? nullptr
                         : PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat(kKeySetting, ": no unencrypted PEM private key in it"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        kKeySetting, ": the private key does not match the certificate in ", kCertSetting));
  }
  if (!ca_pem.empty() && FirstCertificate(ca_pem) == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(kCaSetting, ": no PEM certificate in it"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ReloadingTlsCredentials>> ReloadingTlsCredentials::Create(
    const std::string& cert_file, const std::string& key_file, const std::string& client_ca_file,
    FileReloader* reloader) {
  std::unique_ptr<ReloadingTlsCredentials> tls(new ReloadingTlsCredentials());
  std::vector<FileReloader::File> files = {{kCertSetting, cert_file}, {kKeySetting, key_file}};
  if (!client_ca_file.empty()) files.push_back({kCaSetting, client_ca_file});
  // The first read decides whether the server starts: a set that is not usable is an error
  // now, and a warning (with the last good set kept) once serving.
  std::vector<std::string> contents;
  for (const FileReloader::File& file : files) {
    auto content = ReadSettingFile(file.setting, file.path);
    if (!content.ok()) return content.status();
    contents.push_back(*std::move(content));
  }
  auto apply = [raw = tls.get()](const std::vector<std::string>& contents) -> absl::Status {
    const std::string& ca = contents.size() > 2 ? contents[2] : std::string();
    if (absl::Status bad = CheckTlsMaterial(contents[0], contents[1], ca); !bad.ok()) return bad;
    // The chain first, then the key: gRPC reads each from this one file, skipping the other's
    // PEM blocks, so the two can only change together.
    auto identity =
        PutInMemoryFile(raw->identity_fd_, absl::StrCat(contents[0], "\n", contents[1]));
    if (!identity.ok()) return identity.status();
    raw->identity_fd_ = *identity;
    if (contents.size() > 2) {
      auto ca_fd = PutInMemoryFile(raw->ca_fd_, ca);
      if (!ca_fd.ok()) return ca_fd.status();
      raw->ca_fd_ = *ca_fd;
    }
    return absl::OkStatus();
  };
  if (absl::Status bad = apply(contents); !bad.ok()) return bad;

  const std::string identity_path = FdPath(tls->identity_fd_);
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      identity_path, identity_path, tls->ca_fd_ >= 0 ? FdPath(tls->ca_fd_) : std::string(),
      kProviderRefreshSeconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (tls->ca_fd_ >= 0) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  tls->credentials_ = grpc::experimental::TlsServerCredentials(options);
  if (tls->credentials_ == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(kCertSetting, " / ", kKeySetting, ": gRPC refused the TLS settings"));
  }
  reloader->Watch(std::move(files), std::move(apply));
  return tls;
}

ReloadingTlsCredentials::~ReloadingTlsCredentials() {
  if (identity_fd_ >= 0) close(identity_fd_);
  if (ca_fd_ >= 0) close(ca_fd_);
}

}  // namespace jobfacade
