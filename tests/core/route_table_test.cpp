#include "core/route_table.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace netstab::core {
namespace {

// /proc/net/route prints the 32-bit value of each address in the machine's byte order.
std::string hex_of(const char* dotted) {
  const auto a = *ip_address::parse(dotted);
  std::uint32_t v = 0;
  std::memcpy(&v, a.bytes().data(), 4);
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08X", v);
  return buf;
}

std::string route_line(const char* iface, const char* dst, const char* gw, const char* flags, int metric,
                       const char* mask) {
  return std::string(iface) + "\t" + hex_of(dst) + "\t" + hex_of(gw) + "\t" + flags + "\t0\t0\t" +
         std::to_string(metric) + "\t" + hex_of(mask) + "\t0\t0\t0\n";
}

const std::string header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

TEST(RouteTable, DefaultGatewayV4IsTheLowestMetricDefaultRoute) {
  const std::string table = header + route_line("eth0", "192.168.1.0", "0.0.0.0", "0001", 0, "255.255.255.0") +
                            route_line("wlan0", "0.0.0.0", "10.0.0.1", "0003", 600, "0.0.0.0") +
                            route_line("eth0", "0.0.0.0", "192.168.1.1", "0003", 100, "0.0.0.0") +
                            route_line("eth1", "0.0.0.0", "172.16.0.1", "0002", 1, "0.0.0.0");  // not up
  EXPECT_EQ(default_gateway_v4(table), ip_address::parse("192.168.1.1"));
}

TEST(RouteTable, NoDefaultRouteNoGateway) {
  EXPECT_FALSE(default_gateway_v4(header + route_line("eth0", "192.168.1.0", "0.0.0.0", "0001", 0, "255.255.255.0")));
  EXPECT_FALSE(default_gateway_v4(""));
  EXPECT_FALSE(default_gateway_v4("garbage\n\tline\nIface\tDestination\n"));
  // A default route without a gateway (a point-to-point link) names none.
  EXPECT_FALSE(default_gateway_v4(header + route_line("ppp0", "0.0.0.0", "0.0.0.0", "0001", 0, "0.0.0.0")));
}

TEST(RouteTable, DefaultGatewayV6) {
  const std::string table =
      "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 "
      "00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
      "fe800000000000000000000000000002 00000400 00000003 00000000 00000003     eth1\n"
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
      "fd000001000000000000000000000001 00000100 00000003 00000000 00000003     eth0\n"
      "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
      "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";
  EXPECT_EQ(default_gateway_v6(table), ip_address::parse("fd00:1::1"));
  EXPECT_FALSE(default_gateway_v6("00000000 short line\n"));
}

}  // namespace
}  // namespace netstab::core
