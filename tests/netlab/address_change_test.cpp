// A host name whose address changes while probes are in flight: the real netstab in the netlab, its names from a
// hosts file of the namespace's own (`ip netns exec` mounts /etc/netns/NAME/hosts over /etc/hosts), the
// emulated host answering 300 ms late so that three probes are always on their way when the address changes.
// The replies to those probes come from the address they went to, which is no longer the target's, and they
// must still count: no probe is lost to the change.
#include <csignal>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/netlab/netlab.hpp"
#include "tests/support/privileges.hpp"
#include "tests/support/wait.hpp"

namespace netstab::netlab {
namespace {

constexpr const char* moving_host = "netstab-moving-host";

// /etc/netns/<lab>/hosts and nsswitch.conf, which `ip netns exec` mounts over the system's, so netstab's names
// come from this hosts file only. The directory is removed with the object.
class namespace_names {
 public:
  explicit namespace_names(const netlab& lab) : dir_("/etc/netns/" + lab.name()) {
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "nsswitch.conf") << "hosts: files\n";
  }
  namespace_names(const namespace_names&) = delete;
  namespace_names& operator=(const namespace_names&) = delete;
  ~namespace_names() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    std::filesystem::remove(dir_.parent_path(), ec);  // only when empty: other namespaces' files stay
  }
  // Rewritten in place (same inode), so a running netstab's mount sees the new text.
  void set_address(const std::string& address) const {
    std::ofstream(dir_ / "hosts", std::ios::trunc) << "127.0.0.1 localhost\n" << address << ' ' << moving_host << '\n';
  }

 private:
  std::filesystem::path dir_;
};

TEST(AddressChange, RepliesInFlightFromTheEarlierAddressStillCount) {
  NETSTAB_REQUIRE_ROOT();
  netlab lab({"--delay", "fixed:300"});
  const namespace_names names(lab);
  names.set_address(host_v4);
  const temp_config cfg("address-change", "[probe]\nresolve_interval_s = 10\n");
  child netstab(netstab_command(
      lab, {"--config", cfg.path(), "--target", moving_host, "--interval", "100", "--timeout", "1000"}));
  std::string out;
  bool changed_hosts = false;
  bool changed = false;
  std::size_t after_change = 0;
  // The change is seen at the first re-resolution, 10 s after the first; 15 samples after it cover the probes
  // in flight at the change and more than their timeout.
  const auto deadline = std::chrono::steady_clock::now() + test::patience * 2;
  while (after_change < 15 && std::chrono::steady_clock::now() < deadline) {
    const auto line = netstab.read_line(test::patience);
    if (!line) break;
    out += *line + '\n';
    const auto j = nlohmann::json::parse(*line, nullptr, false);
    if (!j.is_object()) continue;
    if (j.value("type", "") == "sample" && !changed_hosts) {
      names.set_address(host_v6);
      changed_hosts = true;
    }
    if (j.value("type", "") == "event" && j.value("event", "") == "address_changed") changed = true;
    if (j.value("type", "") == "sample" && changed) ++after_change;
  }
  run_result raw;
  raw.out = out + netstab.stop(SIGTERM, std::chrono::seconds(5), raw.exit_code);
  const netstab_output got = parse_netstab_output(raw);
  ASSERT_EQ(after_change, 15U) << raw.out;

  std::vector<nlohmann::json> moves;
  for (const auto& e : got.events) {
    if (e.value("event", "") == "address_changed") moves.push_back(e);
  }
  ASSERT_EQ(moves.size(), 1U) << raw.out;
  EXPECT_EQ(moves[0]["from"], host_v4);
  EXPECT_EQ(moves[0]["to"], host_v6);
  // Every probe has its sample, in order, and every one was answered: none of those in flight at the change
  // timed out. A probe still in flight at the stop has no sample, so only the seqs up to the last are checked.
  std::uint64_t expected = 0;
  for (const auto& s : got.samples) {
    EXPECT_EQ(s.value("seq", std::uint64_t{0}), expected) << s.dump();
    EXPECT_EQ(s.value("status", ""), "ok") << s.dump();
    expected = s.value("seq", std::uint64_t{0}) + 1;
  }
  ASSERT_FALSE(got.samples.empty());
  EXPECT_EQ(got.samples.back()["address"], host_v6) << raw.out;
}

}  // namespace
}  // namespace netstab::netlab
