// Host validation as Django 3.2 does it (split_domain_port, validate_host, is_same_domain; the cases
// below are Django's answers, and api_server_test asks Django itself about a larger set), the default
// list, and the settings of `ypa serve` that hold the list, the base URL and the connection limits.
#include "http/allowed_hosts.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "core/errors.hpp"
#include "http/settings.hpp"

namespace ypa::http {
namespace {

std::string split(std::string_view host) {
  auto parts = split_host(host);
  return parts ? parts->domain + "|" + parts->port : "invalid";
}

TEST(AllowedHostsTest, SplitsAsDjangoDoes) {
  EXPECT_EQ(split("example.com"), "example.com|");
  EXPECT_EQ(split("Example.COM:8000"), "example.com|8000");
  EXPECT_EQ(split("example.com."), "example.com|");  // one trailing dot dropped
  EXPECT_EQ(split("example.com..:1"), "example.com.|1");
  EXPECT_EQ(split("[::1]"), "[::1]|");
  EXPECT_EQ(split("[::1]:8000"), "[::1]|8000");
  EXPECT_EQ(split("[2001:DB8::1]"), "[2001:db8::1]|");
  EXPECT_EQ(split("[::ffff:127.0.0.1]"), "[::ffff:127.0.0.1]|");
  EXPECT_EQ(split("127.0.0.1:80"), "127.0.0.1|80");
  for (const char* bad : {"",
                          ":80",
                          ".",
                          ".:80",
                          "example.com:",
                          "example.com:x",
                          "exa mple.com",
                          "ex_ample.com",
                          "example.com/path",
                          "user@example.com",
                          "::1",
                          "[::1",
                          "[]",
                          "[::]:",
                          "[g::1]",
                          "[1.2:3]",
                          "example.com:80:80",
                          "[::1]x",
                          "\xc3\xa9xample.com",
                          "example.com\r"}) {
    EXPECT_EQ(split(bad), "invalid") << bad;
  }
}

TEST(AllowedHostsTest, MatchesExactNamesDotPatternsAndStar) {
  AllowedHosts hosts({"Example.com", ".example.org", "10.0.0.5", "[::1]"});
  EXPECT_TRUE(hosts.allows("example.com"));
  EXPECT_TRUE(hosts.allows("EXAMPLE.com:8000"));
  EXPECT_TRUE(hosts.allows("example.com."));
  EXPECT_FALSE(hosts.allows("www.example.com"));
  EXPECT_FALSE(hosts.allows("example.com.evil.net"));
  EXPECT_TRUE(hosts.allows("example.org"));
  EXPECT_TRUE(hosts.allows("api.example.org:443"));
  EXPECT_TRUE(hosts.allows("a.b.example.org"));
  EXPECT_FALSE(hosts.allows("badexample.org"));
  EXPECT_TRUE(hosts.allows("10.0.0.5:8000"));
  EXPECT_FALSE(hosts.allows("10.0.0.50"));
  EXPECT_TRUE(hosts.allows("[::1]:8000"));
  EXPECT_FALSE(hosts.allows("[::2]"));
  EXPECT_FALSE(hosts.allows(""));

  AllowedHosts any({"*"});
  EXPECT_TRUE(any.allows("anything.example"));
  EXPECT_FALSE(any.allows("not a host"));  // `*` still needs a well-formed host, as in Django
  EXPECT_FALSE(any.allows(""));
}

TEST(AllowedHostsTest, DefaultsAreLoopbackNamesAndTheListenAddress) {
  auto on_loopback = AllowedHosts::defaults("127.0.0.1", {});
  EXPECT_EQ(on_loopback.patterns(), (std::vector<std::string>{".localhost", "127.0.0.1", "[::1]"}));
  for (const char* ok : {"127.0.0.1:8000", "localhost:8000", "app.localhost", "[::1]:8000"}) {
    EXPECT_TRUE(on_loopback.allows(ok)) << ok;
  }
  for (const char* refused : {"127.0.0.2", "evil.example.com", "localhost.evil.com", "0.0.0.0"}) {
    EXPECT_FALSE(on_loopback.allows(refused)) << refused;
  }

  auto on_one_address = AllowedHosts::defaults("10.1.2.3", {});
  EXPECT_TRUE(on_one_address.allows("10.1.2.3:8000"));
  EXPECT_TRUE(on_one_address.allows("localhost"));
  EXPECT_TRUE(AllowedHosts::defaults("0:0:0:0:0:0:0:2", {}).allows("[::2]:8000"));
  EXPECT_TRUE(AllowedHosts::defaults("api.internal", {}).allows("API.internal:8000"));

  // A wildcard listen address adds no pattern of its own; the caller passes the machine's names.
  const std::vector<std::string> machine{"127.0.0.1", "192.168.1.20", "fe80::1%eth0", "2001:db8::5",
                                         "build-box", "0.0.0.0",      "bad_name"};
  auto on_every_address = AllowedHosts::defaults("0.0.0.0", machine);
  EXPECT_EQ(on_every_address.patterns(),
            (std::vector<std::string>{".localhost", "127.0.0.1", "[::1]", "192.168.1.20", "[2001:db8::5]",
                                      "build-box"}));
  EXPECT_EQ(AllowedHosts::defaults("::", {}).patterns().size(), 3u);
}

TEST(AllowedHostsTest, ParsesAListAndRefusesPatternsThatCanNeverMatch) {
  auto hosts = AllowedHosts::parse(" example.com, .Example.org ,[::1],*", "API_ALLOWED_HOSTS");
  EXPECT_EQ(hosts.patterns(), (std::vector<std::string>{"example.com", ".example.org", "[::1]", "*"}));
  for (const char* bad : {"", "example.com,", "a,,b", "example.com:8000", "http://example.com",
                          "example.com/api", "example.com.", "::1", "*.example.com", "exa mple.com"}) {
    try {
      AllowedHosts::parse(bad, "API_ALLOWED_HOSTS");
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("API_ALLOWED_HOSTS"), std::string::npos) << e.what();
    }
  }
}

TEST(AllowedHostsTest, HostPatternOfAnAddress) {
  EXPECT_EQ(host_pattern_of("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(host_pattern_of("::1"), "[::1]");
  EXPECT_EQ(host_pattern_of("2001:DB8:0:0::1"), "[2001:db8::1]");
  EXPECT_EQ(host_pattern_of("0.0.0.0"), "");
  EXPECT_EQ(host_pattern_of("::"), "");
  EXPECT_EQ(host_pattern_of("fe80::1%eth0"), "");
  EXPECT_EQ(host_pattern_of("Localhost"), "localhost");
  EXPECT_EQ(host_pattern_of("[::1]"), "");
}

// The variables of `ypa serve` this file's features read, with the environment set and restored.
class ServeSettingsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const char* name : {"API_ALLOWED_HOSTS", "API_BASE_URL", "API_KEEP_ALIVE_S", "API_KEEP_ALIVE_MAX",
                             "API_READ_TIMEOUT_S"}) {
      ::unsetenv(name);
    }
  }
  static std::string error_of(const char* name, const char* value) {
    ::setenv(name, value, 1);
    try {
      ApiSettings::from_env();
    } catch (const InputError& e) {
      ::unsetenv(name);
      return e.what();
    }
    ::unsetenv(name);
    return "accepted";
  }
};

TEST_F(ServeSettingsTest, DefaultsAndValues) {
  auto defaults = ApiSettings::from_env();
  EXPECT_FALSE(defaults.allowed_hosts);
  EXPECT_EQ(defaults.base_url, "");
  EXPECT_EQ(defaults.keep_alive_s, 5);
  EXPECT_EQ(defaults.keep_alive_max, 100);
  EXPECT_EQ(defaults.read_timeout_s, 10);

  ::setenv("API_ALLOWED_HOSTS", "prices.example.com", 1);
  ::setenv("API_BASE_URL", "https://Prices.example.com/ypa/", 1);
  ::setenv("API_KEEP_ALIVE_S", "2", 1);
  ::setenv("API_KEEP_ALIVE_MAX", "100", 1);
  ::setenv("API_READ_TIMEOUT_S", "3", 1);
  auto s = ApiSettings::from_env();
  ASSERT_TRUE(s.allowed_hosts);
  EXPECT_TRUE(s.allowed_hosts->allows("prices.example.com"));
  EXPECT_FALSE(s.allowed_hosts->allows("localhost"));  // a configured list replaces the defaults
  EXPECT_EQ(s.base_url, "https://Prices.example.com/ypa");
  EXPECT_EQ(s.base_url_host(), "prices.example.com");
  EXPECT_EQ(s.keep_alive_s, 2);
  EXPECT_EQ(s.keep_alive_max, 100);
  EXPECT_EQ(s.read_timeout_s, 3);
}

TEST_F(ServeSettingsTest, MalformedValuesNameTheVariable) {
  for (const char* url :
       {"prices.example.com", "ftp://example.com", "https://", "https://exa mple.com",
        "https://example.com/?page=1", "https://user@example.com", "https://example.com/a#b"}) {
    EXPECT_NE(error_of("API_BASE_URL", url).find("API_BASE_URL"), std::string::npos) << url;
  }
  EXPECT_NE(error_of("API_ALLOWED_HOSTS", "example.com:80").find("API_ALLOWED_HOSTS"), std::string::npos);
  EXPECT_NE(error_of("API_KEEP_ALIVE_S", "0").find("API_KEEP_ALIVE_S"), std::string::npos);
  EXPECT_NE(error_of("API_KEEP_ALIVE_MAX", "many").find("API_KEEP_ALIVE_MAX"), std::string::npos);
  EXPECT_NE(error_of("API_READ_TIMEOUT_S", "-1").find("API_READ_TIMEOUT_S"), std::string::npos);
  EXPECT_EQ(error_of("API_BASE_URL", "http://127.0.0.1:8000"), "accepted");
}

}  // namespace
}  // namespace ypa::http
