#include "service/mqtt/connect_diagnosis.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "core/ip_address.hpp"

namespace netstab::service {

namespace {

// Closes a socket on every path out.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

std::string where(const core::broker_address& ep) { return ep.authority(); }

std::string seconds_text(std::chrono::milliseconds d) {
  const auto ms = d.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

// Connects one address within the timeout; returns the socket, or -1 with errno_out set (ETIMEDOUT on timeout).
int connect_one(const addrinfo* a, std::chrono::milliseconds timeout, int& errno_out) {
  const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
  if (fd < 0) {
    errno_out = errno;
    return -1;
  }
  if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      errno_out = errno;
      ::close(fd);
      return -1;
    }
    pollfd p{fd, POLLOUT, 0};
    const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    int err = 0;
    socklen_t len = sizeof(err);
    if (n <= 0) {
      err = n == 0 ? ETIMEDOUT : errno;
    } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
      err = errno;
    }
    if (err != 0) {
      errno_out = err;
      ::close(fd);
      return -1;
    }
  }
  // Blocking again for the handshake, bounded by socket timeouts.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  return fd;
}

std::string openssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    // "error:0A000086:SSL routines::certificate verify failed": keep the reason.
    std::string s = buf;
    const auto colon = s.rfind(':');
    if (colon != std::string::npos && colon + 1 < s.size()) s = s.substr(colon + 1);
    if (out.find(s) == std::string::npos) out += (out.empty() ? "" : "; ") + s;
  }
  return out;
}

connect_diagnosis verify_failure(const core::broker_address& ep, const tls_settings& tls, long result) {
  const std::string why = X509_verify_cert_error_string(result);
  const std::string ca = tls.ca_file.empty() ? "the system CA store" : "the CA file " + tls.ca_file;
  connect_diagnosis d;
  d.config_problem = true;
  switch (result) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      d.text = "TLS certificate verify failed: the broker's certificate does not match the host name \"" + ep.host +
               "\" (" + why + ")";
      break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      d.text =
          "TLS certificate verify failed: the broker's certificate is not signed by a CA in " + ca + " (" + why + ")";
      break;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      d.text = "TLS certificate verify failed: the broker's certificate is outside its validity period (" + why + ")";
      break;
    default:
      d.text = "TLS certificate verify failed: " + why;
      break;
  }
  return d;
}

// Loads the CA, client certificate and key into ctx; a diagnosis with text when one does not load.
connect_diagnosis load_credentials(SSL_CTX* ctx, const tls_settings& tls) {
  if (!tls.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, tls.ca_file.c_str(), nullptr) != 1) {
      return {"TLS: cannot load the CA file " + tls.ca_file + ": " + openssl_errors(), true};
    }
  } else {
    SSL_CTX_set_default_verify_paths(ctx);
  }
  if (!tls.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, tls.cert_file.c_str()) != 1) {
      return {"TLS: cannot load the client certificate " + tls.cert_file + ": " + openssl_errors(), true};
    }
    const std::string& key = tls.key_file.empty() ? tls.cert_file : tls.key_file;
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return {"TLS: cannot load the client key " + key + ": " + openssl_errors(), true};
    }
  }
  SSL_CTX_set_verify(ctx, tls.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  return {};
}

// TLS 1.3 servers refuse a missing or bad client certificate after the handshake: a short non-blocking read
// shows such an alert. (An MQTT broker sends nothing else before our CONNECT.)
connect_diagnosis after_handshake(int fd, SSL* ssl) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 300) > 0) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    char byte = 0;
    const int n = SSL_peek(ssl, &byte, 1);
    if (n <= 0 && SSL_get_error(ssl, n) == SSL_ERROR_SSL) {
      return {"TLS: the broker closed the connection after the handshake: " + openssl_errors(), true};
    }
  }
  return {};
}

connect_diagnosis handshake_failure(SSL* ssl, int rc, const core::broker_address& ep, const tls_settings& tls) {
  const long vr = SSL_get_verify_result(ssl);
  if (tls.verify && vr != X509_V_OK) return verify_failure(ep, tls, vr);
  const int err = SSL_get_error(ssl, rc);
  std::string detail = openssl_errors();
  if (detail.empty()) {
    // Closed or reset without a TLS alert: typically not a TLS port at all.
    detail = (err == SSL_ERROR_SYSCALL && errno != 0 ? std::string(std::strerror(errno))
                                                     : std::string("the broker closed the connection")) +
             " (is this a plain MQTT port rather than a TLS one?)";
  }
  if (detail.find("wrong version number") != std::string::npos ||
      detail.find("packet length too long") != std::string::npos) {
    return {"TLS handshake with " + where(ep) + " failed: " + detail + " (is this a plain MQTT port, not TLS?)", true};
  }
  return {"TLS handshake with " + where(ep) + " failed: " + detail, false};
}

connect_diagnosis tls_handshake(int fd, const core::broker_address& ep, const tls_settings& tls) {
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), &SSL_CTX_free);
  if (!ctx) return {"TLS: cannot create a context: " + openssl_errors(), false};
  if (auto d = load_credentials(ctx.get(), tls); !d.text.empty()) return d;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), &SSL_free);
  if (!ssl) return {"TLS: cannot create a session: " + openssl_errors(), false};
  const bool is_ip = core::ip_address::parse(ep.host).has_value();
  if (!is_ip) {
    SSL_ctrl(ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(ep.host.c_str()));
  }
  if (tls.verify) {
    if (is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), ep.host.c_str());
    } else {
      SSL_set1_host(ssl.get(), ep.host.c_str());
    }
  }
  SSL_set_fd(ssl.get(), fd);
  const int rc = SSL_connect(ssl.get());
  if (rc == 1) return after_handshake(fd, ssl.get());
  return handshake_failure(ssl.get(), rc, ep, tls);
}

}  // namespace

connect_diagnosis diagnose_connect(const core::broker_address& ep, const tls_settings& tls,
                                   std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(ep.port);
  if (const int rc = ::getaddrinfo(ep.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return {"the broker host \"" + ep.host + "\" does not resolve: " + ::gai_strerror(rc), false};
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(res, &::freeaddrinfo);
  fd_guard sock;
  int first_errno = 0;
  for (const addrinfo* a = res; a != nullptr && sock.fd < 0; a = a->ai_next) {
    int e = 0;
    sock.fd = connect_one(a, timeout, e);
    if (sock.fd < 0 && first_errno == 0) first_errno = e;
  }
  if (sock.fd < 0) {
    if (first_errno == ECONNREFUSED) {
      return {"connection refused by " + where(ep) + " (no broker listening there)", false};
    }
    if (first_errno == ETIMEDOUT) {
      return {"no answer from " + where(ep) + " within " + seconds_text(timeout) +
                  " (broker down, or a firewall drops the packets)",
              false};
    }
    return {"cannot connect to " + where(ep) + ": " + std::strerror(first_errno), false};
  }
  if (!ep.tls()) return {};
  connect_diagnosis d = tls_handshake(sock.fd, ep, tls);
  // The handshake runs on a worker thread that lives on: OpenSSL's state for this thread (its random generators,
  // its error queue) is released now rather than when the thread ends, which may be after the process has
  // exited (LeakSanitizer then reports it).
  OPENSSL_thread_stop();
  return d;
}

}  // namespace netstab::service
