/* The smallest program that does netstab's one-target work in service mode, to measure its floor of wake-ups
 * and CPU (issue 15: "one target in service mode: at most 3 wake-ups/s, Paho's threads included").
 *
 * Once a second: one ICMP echo request to the target on a raw socket, its reply read; then, in one hand-off, two
 * QoS 0 messages to the broker through Paho's MQTTAsync API (a sample, and retained statistics), as netstab
 * publishes per probe. Each completion is reported to the main thread through an eventfd, as netstab's loop
 * learns of Paho's completions (an inbox and a uv_async). Nothing else: no statistics, no JSON, no history.
 * With --no-completions the messages are handed over without completion callbacks (what Paho's own threads cost
 * alone).
 *
 * Measuring instrument, not project code: bench/footprint builds and runs it as the tool `paho-floor`, in the
 * same namespace and with the same /proc counters as netstab. By hand:
 *   cc -O2 -o /tmp/paho_floor bench/floor/paho_floor.c -lpaho-mqtt3a
 *   /tmp/paho_floor --broker tcp://127.0.0.1:1883 --target 127.0.0.1 --seconds 30     (root: raw socket)
 */
#define _GNU_SOURCE
#include <MQTTAsync.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef ICMP_FILTER
#define ICMP_FILTER 1 /* <linux/icmp.h>, which clashes with <netinet/ip_icmp.h> */
#endif

static int completions_fd = -1;

static void on_sent(void* context, MQTTAsync_successData* response) {
  (void)context;
  (void)response;
  const uint64_t one = 1;
  if (write(completions_fd, &one, sizeof one) < 0) perror("eventfd");
}

static void on_failed(void* context, MQTTAsync_failureData* response) {
  (void)context;
  (void)response;
  fprintf(stderr, "paho_floor: a publish failed\n");
}

static uint16_t checksum(const void* data, size_t len) {
  const uint8_t* p = data;
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len & 1) sum += (uint32_t)(p[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons((uint16_t)~sum);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int publish(MQTTAsync client, const char* topic, const char* payload, int retained, int completions) {
  MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
  if (completions) {
    ro.onSuccess = on_sent;
    ro.onFailure = on_failed;
  }
  MQTTAsync_message m = MQTTAsync_message_initializer;
  m.payload = (void*)payload;
  m.payloadlen = (int)strlen(payload);
  m.qos = 0;
  m.retained = retained;
  return MQTTAsync_sendMessage(client, topic, &m, &ro);
}

static int send_echo(int sock, const struct sockaddr_in* to, uint16_t seq) {
  struct icmphdr h;
  memset(&h, 0, sizeof h);
  h.type = ICMP_ECHO;
  h.un.echo.id = htons((uint16_t)getpid());
  h.un.echo.sequence = htons(seq);
  h.checksum = checksum(&h, sizeof h);
  return (int)sendto(sock, &h, sizeof h, 0, (const struct sockaddr*)to, sizeof *to);
}

int main(int argc, char** argv) {
  const char* broker = "tcp://127.0.0.1:1883";
  const char* target = "127.0.0.1";
  int seconds = 30;
  int completions = 1;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--broker") && i + 1 < argc) {
      broker = argv[++i];
    } else if (!strcmp(argv[i], "--target") && i + 1 < argc) {
      target = argv[++i];
    } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
      seconds = atoi(argv[++i]);
    } else if (!strcmp(argv[i], "--no-completions")) {
      completions = 0;
    } else {
      fprintf(stderr, "usage: paho_floor [--broker URI] [--target IPv4] [--seconds N] [--no-completions]\n");
      return 2;
    }
  }
  struct sockaddr_in to = {.sin_family = AF_INET};
  if (inet_pton(AF_INET, target, &to.sin_addr) != 1) return fprintf(stderr, "bad target %s\n", target), 2;
  const int sock = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP);
  if (sock < 0) return perror("raw ICMP socket"), 1;
  const uint32_t only_replies = ~(1U << ICMP_ECHOREPLY); /* as netstab's filter: no echo requests */
  setsockopt(sock, SOL_RAW, ICMP_FILTER, &only_replies, sizeof only_replies);
  completions_fd = eventfd(0, EFD_NONBLOCK);

  MQTTAsync client;
  if (MQTTAsync_create(&client, broker, "paho-floor", MQTTCLIENT_PERSISTENCE_NONE, NULL) != MQTTASYNC_SUCCESS) {
    return fprintf(stderr, "cannot create a client for %s\n", broker), 1;
  }
  MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
  co.keepAliveInterval = 30;
  co.cleansession = 1;
  if (MQTTAsync_connect(client, &co) != MQTTASYNC_SUCCESS) return fprintf(stderr, "cannot connect\n"), 1;
  for (int i = 0; i < 500 && !MQTTAsync_isConnected(client); ++i) usleep(10000);
  if (!MQTTAsync_isConnected(client)) return fprintf(stderr, "not connected to %s\n", broker), 1;

  uint16_t seq = 0;
  long replies = 0, done = 0;
  double next = now_s();
  const double end = next + seconds;
  char payload[128];
  while (now_s() < end) {
    struct pollfd fds[2] = {{.fd = sock, .events = POLLIN}, {.fd = completions_fd, .events = POLLIN}};
    int wait_ms = (int)((next - now_s()) * 1000.0);
    if (wait_ms < 0) wait_ms = 0;
    if (poll(fds, 2, wait_ms) < 0 && errno != EINTR) return perror("poll"), 1;
    if (fds[0].revents & POLLIN) {
      unsigned char buf[256];
      int got_reply = 0;
      ssize_t n;
      while ((n = recv(sock, buf, sizeof buf, 0)) > 0) {
        const size_t ihl = (size_t)(buf[0] & 0x0f) * 4;
        if ((size_t)n > ihl && buf[ihl] == ICMP_ECHOREPLY) got_reply = 1;
      }
      if (got_reply) {
        ++replies;
        snprintf(payload, sizeof payload, "{\"seq\":%u,\"replies\":%ld}", seq, replies);
        publish(client, "paho-floor/sample", payload, 0, completions);
        publish(client, "paho-floor/stats", payload, 1, completions);
      }
    }
    if (fds[1].revents & POLLIN) {
      uint64_t n = 0;
      if (read(completions_fd, &n, sizeof n) == sizeof n) done += (long)n;
    }
    if (now_s() >= next) {
      if (send_echo(sock, &to, ++seq) < 0) perror("sendto");
      next += 1.0;
    }
  }
  printf("paho_floor: %u echo requests, %ld replies, %ld completions\n", seq, replies, done);
  MQTTAsync_disconnectOptions dopts = MQTTAsync_disconnectOptions_initializer;
  MQTTAsync_disconnect(client, &dopts);
  MQTTAsync_destroy(&client);
  return 0;
}
