// Content-Encoding of answers: gzip when the client accepts it, as Django's GZipMiddleware does (answers
// of 200 bytes or more, only when that makes them smaller, with `Vary: Accept-Encoding`). The server
// encodes answers itself instead of leaving it to httplib, which picks brotli at its slowest setting
// whenever a client offers `br` (every browser does): 250 ms of CPU for one 275 KB chart.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace ypa::http {

// Answers shorter than this go out as they are (Django's threshold).
inline constexpr std::size_t kMinGzipBytes = 200;

// Whether an Accept-Encoding header value (RFC 9110 §12.5.3) admits gzip: `gzip` or `x-gzip` with a
// q-value above 0, or else `*` with one. Codings are case-insensitive; an empty value admits none.
bool accepts_gzip(std::string_view accept_encoding);

// `data` as one gzip member (RFC 1952) at zlib level `level` (1 fastest .. 9 smallest).
std::string gzip(std::string_view data, int level);

// An answer many responses share (the response cache), and its gzip form, made once on first use at
// a higher level than an answer sent once gets: it is paid for once and sent many times.
class SharedBody {
 public:
  explicit SharedBody(std::string plain) : plain_(std::move(plain)) {}
  const std::string& plain() const { return plain_; }
  // The gzip form; empty when gzip would not make the answer smaller. Safe from many threads.
  const std::string& gzipped() const;

 private:
  std::string plain_;
  mutable std::once_flag once_;
  mutable std::string gzipped_;
};

// The gzip level of an answer sent once (fast) and of a shared one (smaller).
inline constexpr int kGzipLevelOnce = 1;
inline constexpr int kGzipLevelShared = 6;

// The bytes that go out for one answer, and whether they are its gzip form (`Content-Encoding: gzip`).
struct EncodedBody {
  std::shared_ptr<const std::string> bytes;
  bool gzipped = false;
};
// The answer `shared` (when set) or `own`, gzipped when `gzip_ok` and when that makes it smaller;
// answers under kMinGzipBytes go out as they are. A shared answer's bytes keep it alive.
EncodedBody encode_body(const std::shared_ptr<const SharedBody>& shared, std::string own, bool gzip_ok);

}  // namespace ypa::http
