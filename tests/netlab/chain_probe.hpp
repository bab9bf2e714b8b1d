#pragma once
// A small ICMP prober for checking the router chain with the tests' own packets, independent of netstab: echo
// requests with a chosen TTL / hop limit from a node's namespace, and who answered (echo reply, Time Exceeded,
// unreachable), from which address, after how long. The round-trip time runs from just before the send to the
// kernel's receive stamp (SO_TIMESTAMPNS), so the prober's own scheduling on a busy machine adds to it only what
// falls between taking the time and the send.
//
// Owns one raw ICMP or ICMPv6 socket opened inside the node's namespace (needs root). Used from one thread.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/netlab/chain.hpp"

namespace netstab::netlab {

enum class answer_kind : std::uint8_t { none, echo_reply, time_exceeded, unreachable };

struct probe_answer {
  answer_kind kind = answer_kind::none;
  std::string from;  // the answering address, empty with none
  std::chrono::microseconds rtt{0};
};

class chain_prober {
 public:
  // Throws std::runtime_error when the socket cannot be opened in the namespace.
  chain_prober(const chain& c, node from, ip_family f);
  chain_prober(const chain_prober&) = delete;
  chain_prober& operator=(const chain_prober&) = delete;
  ~chain_prober();

  // Sends one probe to dst with the given TTL and waits for its answer up to timeout.
  probe_answer probe(const std::string& dst, int ttl, std::chrono::milliseconds timeout = std::chrono::seconds(1));

  // Sends count probes at least interval apart, then waits up to timeout after the last for the missing answers; the
  // answers are in sending order.
  std::vector<probe_answer> series(const std::string& dst, int ttl, int count, std::chrono::microseconds interval,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(1));

 private:
  // Returns the CLOCK_REALTIME time taken just before the send.
  std::chrono::nanoseconds send(const std::string& dst, int ttl, std::uint16_t seq);
  // Reads every datagram waiting and records the answers to this prober's probes.
  void drain(std::vector<probe_answer>& answers, const std::vector<std::chrono::nanoseconds>& sent,
             std::uint16_t first_seq);

  ip_family family_;
  int fd_ = -1;
  std::uint16_t id_ = 0;
  std::uint16_t next_seq_ = 0;
};

// The share of answers of the given kind, 0..1.
double share_of(const std::vector<probe_answer>& answers, answer_kind kind);

}  // namespace netstab::netlab
