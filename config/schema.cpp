#include "config/schema.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <set>
#include <type_traits>

#include "config/validate.hpp"

namespace netstab::config {
namespace {

template <class T>
struct is_duration : std::false_type {};
template <class Rep, class Period>
struct is_duration<std::chrono::duration<Rep, Period>> : std::true_type {};

// Conversions between a value and a settings field, chosen by the field's type. Durations are stored as a
// count of their own unit, which is the unit the key's name states (window_s -> seconds, ..._ms -> ms).
template <class T>
T from_value(const value& v) {
  if constexpr (std::is_same_v<T, bool>) {
    return std::get<bool>(v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return std::get<std::string>(v);
  } else if constexpr (std::is_same_v<T, double>) {
    return std::get<double>(v);
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    return std::get<std::vector<std::string>>(v);
  } else if constexpr (is_duration<T>::value) {
    return T{static_cast<typename T::rep>(std::get<std::int64_t>(v))};
  } else if constexpr (std::is_same_v<T, std::vector<std::chrono::seconds>>) {
    T out;
    for (const std::int64_t count : std::get<std::vector<std::int64_t>>(v)) {
      out.emplace_back(count);
    }
    return out;
  } else if constexpr (std::is_same_v<T, std::optional<core::ip_address>>) {
    // Checked before it is stored (check_source), so it parses; "" is "not set".
    return core::ip_address::parse(std::get<std::string>(v));
  } else if constexpr (std::is_same_v<T, std::vector<core::access_rule>>) {
    T out;
    for (const auto& text : std::get<std::vector<std::string>>(v)) {
      if (auto rule = core::access_rule::parse(text)) out.push_back(std::move(*rule));
    }
    return out;
  } else {
    static_assert(std::is_integral_v<T>);
    return static_cast<T>(std::get<std::int64_t>(v));
  }
}

template <class T>
value to_value(const T& field) {
  if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string> || std::is_same_v<T, double> ||
                std::is_same_v<T, std::vector<std::string>>) {
    return field;
  } else if constexpr (is_duration<T>::value) {
    return static_cast<std::int64_t>(field.count());
  } else if constexpr (std::is_same_v<T, std::vector<std::chrono::seconds>>) {
    std::vector<std::int64_t> out;
    for (const auto& d : field) {
      out.push_back(static_cast<std::int64_t>(d.count()));
    }
    return out;
  } else if constexpr (std::is_same_v<T, std::optional<core::ip_address>>) {
    return field ? field->text() : std::string();
  } else if constexpr (std::is_same_v<T, std::vector<core::access_rule>>) {
    std::vector<std::string> out;
    for (const auto& rule : field) out.push_back(rule.text());
    return out;
  } else {
    static_assert(std::is_integral_v<T>);
    return static_cast<std::int64_t>(field);
  }
}

template <auto Section, auto Field>
void store_field(settings& s, const value& v) {
  auto& field = (s.*Section).*Field;
  field = from_value<std::remove_cvref_t<decltype(field)>>(v);
}

template <auto Section, auto Field>
value fetch_field(const settings& s) {
  return to_value((s.*Section).*Field);
}

template <auto Field>
void store_probe_field(core::probe_settings& p, const value& v) {
  auto& field = p.*Field;
  field = from_value<std::remove_cvref_t<decltype(field)>>(v);
}

template <auto Field>
value fetch_probe_field(const core::probe_settings& p) {
  return to_value(p.*Field);
}

template <auto Section, auto Field>
key_spec field_key(std::string_view section, std::string_view name, value_kind kind) {
  key_spec k;
  k.section = section;
  k.name = name;
  k.kind = kind;
  k.store = store_field<Section, Field>;
  k.fetch = fetch_field<Section, Field>;
  return k;
}

template <auto Section, auto Field>
key_spec boolean(std::string_view section, std::string_view name) {
  return field_key<Section, Field>(section, name, value_kind::boolean);
}

template <auto Section, auto Field>
key_spec integer(std::string_view section, std::string_view name, std::int64_t min, std::int64_t max) {
  key_spec k = field_key<Section, Field>(section, name, value_kind::integer);
  k.min = min;
  k.max = max;
  return k;
}

template <auto Section, auto Field>
key_spec number(std::string_view section, std::string_view name, double min, double max) {
  key_spec k = field_key<Section, Field>(section, name, value_kind::number);
  k.number_min = min;
  k.number_max = max;
  return k;
}

template <auto Section, auto Field>
key_spec text(std::string_view section, std::string_view name,
              std::optional<std::string> (*check)(const value&) = nullptr) {
  key_spec k = field_key<Section, Field>(section, name, value_kind::string);
  k.check = check;
  return k;
}

key_spec with_secret(key_spec k) {
  k.secret = true;
  return k;
}

key_spec with_check(key_spec k, std::optional<std::string> (*check)(const value&)) {
  k.check = check;
  return k;
}

template <auto Field>
key_spec probe_key(std::string_view name, value_kind kind, std::int64_t min = 0, std::int64_t max = 0) {
  key_spec k;
  k.section = "probe";
  k.name = name;
  k.kind = kind;
  k.min = min;
  k.max = max;
  k.per_target = true;
  k.store_probe = store_probe_field<Field>;
  k.fetch_probe = fetch_probe_field<Field>;
  return k;
}

// Checks for string-valued keys; an empty string means "not set" where the key's default is empty.
std::optional<std::string> check_source(const value& v) {
  const auto& s = std::get<std::string>(v);
  if (s.empty() || ip_literal_family(s)) {
    return std::nullopt;
  }
  return "\"" + s + "\" is not an IP address";
}

std::optional<std::string> check_interface(const value& v) {
  const auto& s = std::get<std::string>(v);
  return s.empty() ? std::nullopt : check_interface_name(s);
}

std::optional<std::string> check_broker(const value& v) {
  const auto& s = std::get<std::string>(v);
  if (s.empty()) {
    return std::nullopt;
  }
  auto parsed = parse_broker_url(s);
  return parsed.address ? std::nullopt : std::optional<std::string>(parsed.problem);
}

std::optional<std::string> check_optional_agent(const value& v) {
  const auto& s = std::get<std::string>(v);
  return s.empty() ? std::nullopt : check_agent(s);
}

std::optional<std::string> check_topic(const value& v) { return check_topic_prefix(std::get<std::string>(v)); }

std::optional<std::string> check_client_id(const value& v) {
  const auto& s = std::get<std::string>(v);
  if (s.size() > 256) {
    return std::string("must have at most 256 characters");
  }
  if (std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return std::string("must not contain control characters");
  }
  return std::nullopt;
}

std::optional<std::string> check_hosts_or_cidrs(const value& v) {
  for (const auto& entry : std::get<std::vector<std::string>>(v)) {
    if (auto problem = check_host_or_cidr(entry)) {
      return problem;
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_distinct(const value& v) {
  const auto& list = std::get<std::vector<std::int64_t>>(v);
  std::set<std::int64_t> seen;
  for (const std::int64_t x : list) {
    if (!seen.insert(x).second) {
      return std::to_string(x) + " is listed twice";
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_publish_interval(const value& v) {
  const std::int64_t ms = std::get<std::int64_t>(v);
  if (ms != 0 && ms < 100) {
    return std::to_string(ms) + " is below the minimum of 100 (0 means once per target interval)";
  }
  return std::nullopt;
}

std::optional<std::string> check_digest_interval(const value& v) {
  const std::int64_t ms = std::get<std::int64_t>(v);
  if (ms != 0 && ms < 100) return std::to_string(ms) + " is below the minimum of 100 (0 turns the digest off)";
  return std::nullopt;
}

constexpr std::array<std::string_view, 3> ip_version_choices{"auto", "4", "6"};
constexpr std::array<std::string_view, 2> protocol_choices{"5", "3.1.1"};
constexpr std::array<std::string_view, 6> level_choices{"trace", "debug", "info", "warn", "error", "off"};
constexpr std::array<std::string_view, 2> format_choices{"text", "json"};

constexpr std::array<std::string_view, 3> path_choices{"auto", "true", "false"};

constexpr std::array<std::string_view, 11> section_order{"probe",     "stats", "status",  "output",  "mqtt", "control",
                                                         "discovery", "path",  "verdict", "history", "log"};

// Durations in milliseconds on core::probe_settings are nanos; the key is in milliseconds.
template <auto Field>
key_spec probe_ms_key(std::string_view name, std::int64_t min, std::int64_t max) {
  key_spec k = probe_key<Field>(name, value_kind::integer, min, max);
  k.store_probe = [](core::probe_settings& p, const value& v) {
    p.*Field = std::chrono::milliseconds(std::get<std::int64_t>(v));
  };
  k.fetch_probe = [](const core::probe_settings& p) -> value {
    return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(p.*Field).count());
  };
  return k;
}

std::vector<key_spec> build_table() {
  using s = settings;
  constexpr std::int64_t int_max = std::numeric_limits<std::int64_t>::max();
  std::vector<key_spec> t;

  // [probe]
  const auto min_interval_ms = std::chrono::duration_cast<std::chrono::milliseconds>(core::min_interval).count();
  t.push_back(probe_ms_key<&core::probe_settings::interval>("interval_ms", min_interval_ms, 3'600'000));
  t.push_back(probe_ms_key<&core::probe_settings::timeout>("timeout_ms", 1, 60'000));
  t.push_back(probe_key<&core::probe_settings::size>("size", value_kind::integer, core::min_payload_size,
                                                     core::max_payload_size));
  t.push_back(probe_key<&core::probe_settings::ttl>("ttl", value_kind::integer, 1, 255));
  t.push_back(probe_key<&core::probe_settings::tos>("tos", value_kind::integer, 0, 255));
  {
    key_spec k;
    k.section = "probe";
    k.name = "ip_version";
    k.kind = value_kind::choice;
    k.per_target = true;
    k.choices = ip_version_choices;
    k.store_probe = [](core::probe_settings& p, const value& v) {
      const auto& text = std::get<std::string>(v);
      p.family = text == "4" ? core::ip_version::v4 : text == "6" ? core::ip_version::v6 : core::ip_version::any;
    };
    k.fetch_probe = [](const core::probe_settings& p) -> value {
      return std::string(p.family == core::ip_version::v4 ? "4" : p.family == core::ip_version::v6 ? "6" : "auto");
    };
    t.push_back(k);
  }
  t.push_back(with_check(probe_key<&core::probe_settings::source>("source", value_kind::string), check_source));
  t.push_back(
      with_check(probe_key<&core::probe_settings::interface>("interface", value_kind::string), check_interface));
  t.push_back(probe_key<&core::probe_settings::publish_samples>("publish_samples", value_kind::boolean));
  {
    key_spec k;
    k.section = "probe";
    k.name = "path";
    k.kind = value_kind::choice;
    k.per_target = true;
    k.choices = path_choices;
    k.store_probe = [](core::probe_settings& p, const value& v) {
      const auto& text = std::get<std::string>(v);
      p.path = text == "true"    ? core::path_mode::on
               : text == "false" ? core::path_mode::off
                                 : core::path_mode::automatic;
    };
    // true and false print as TOML booleans, "auto" as a string.
    k.fetch_probe = [](const core::probe_settings& p) -> value {
      if (p.path == core::path_mode::automatic) return std::string("auto");
      return p.path == core::path_mode::on;
    };
    t.push_back(k);
  }
  {
    key_spec k;
    k.section = "probe";
    k.name = "resolve_interval_s";
    k.kind = value_kind::integer;
    k.min = 10;
    k.max = 86'400;
    k.store = [](settings& st, const value& v) {
      st.resolve_interval = std::chrono::seconds(std::get<std::int64_t>(v));
    };
    k.fetch = [](const settings& st) -> value { return static_cast<std::int64_t>(st.resolve_interval.count()); };
    t.push_back(k);
  }
  {
    key_spec k;
    k.section = "probe";
    k.name = "send_grid_ms";
    k.kind = value_kind::integer;
    k.min = 1;
    k.max = 100;
    k.store = [](settings& st, const value& v) { st.send_grid = std::chrono::milliseconds(std::get<std::int64_t>(v)); };
    k.fetch = [](const settings& st) -> value { return static_cast<std::int64_t>(st.send_grid.count()); };
    t.push_back(k);
  }

  // [stats]
  t.push_back(integer<&s::stats, &stats_settings::window>("stats", "window_s", 1, 86'400));
  {
    key_spec k =
        field_key<&s::stats, &stats_settings::extra_windows>("stats", "extra_windows_s", value_kind::integer_list);
    k.min = 1;
    k.max = 86'400;
    k.check = check_distinct;
    t.push_back(k);
  }
  t.push_back(integer<&s::stats, &stats_settings::buckets>("stats", "buckets", 2, 64));
  t.push_back(
      with_check(integer<&s::stats, &stats_settings::publish_interval>("stats", "publish_interval_ms", 0, 3'600'000),
                 check_publish_interval));
  t.push_back(integer<&s::stats, &stats_settings::max_publish_rate>("stats", "max_publish_rate", 0, 1'000'000));
  t.push_back(integer<&s::stats, &stats_settings::max_incidents>("stats", "max_incidents", 0, 10'000));
  t.push_back(boolean<&s::stats, &stats_settings::per_target>("stats", "per_target"));
  t.push_back(
      with_check(integer<&s::stats, &stats_settings::digest_interval>("stats", "digest_interval_ms", 0, 3'600'000),
                 check_digest_interval));
  t.push_back(integer<&s::stats, &stats_settings::digest_part_size>("stats", "digest_part_size", 0, 1'000'000));

  // [status]
  t.push_back(number<&s::status, &status_settings::loss_warn_pct>("status", "loss_warn_pct", 0, 100));
  t.push_back(number<&s::status, &status_settings::loss_bad_pct>("status", "loss_bad_pct", 0, 100));
  t.push_back(number<&s::status, &status_settings::rtt_p95_warn_ms>("status", "rtt_p95_warn_ms", 0, 60'000));
  t.push_back(number<&s::status, &status_settings::rtt_p95_bad_ms>("status", "rtt_p95_bad_ms", 0, 60'000));
  t.push_back(number<&s::status, &status_settings::jitter_warn_ms>("status", "jitter_warn_ms", 0, 60'000));
  t.push_back(number<&s::status, &status_settings::jitter_bad_ms>("status", "jitter_bad_ms", 0, 60'000));
  t.push_back(integer<&s::status, &status_settings::rto_streak_warn>("status", "rto_streak_warn", 1, 1000));
  t.push_back(integer<&s::status, &status_settings::rto_streak_bad>("status", "rto_streak_bad", 1, 1000));
  t.push_back(number<&s::status, &status_settings::hysteresis_pct>("status", "hysteresis_pct", 0, 100));
  t.push_back(integer<&s::status, &status_settings::recover_after>("status", "recover_after", 1, 1000));
  t.push_back(integer<&s::status, &status_settings::min_samples>("status", "min_samples", 1, 1'000'000));

  // [output]
  t.push_back(boolean<&s::output, &output_settings::json>("output", "json"));
  t.push_back(integer<&s::output, &output_settings::count>("output", "count", 0, int_max));

  // [mqtt]
  t.push_back(text<&s::mqtt, &mqtt_settings::broker>("mqtt", "broker", check_broker));
  t.push_back(text<&s::mqtt, &mqtt_settings::agent>("mqtt", "agent", check_optional_agent));
  t.push_back(text<&s::mqtt, &mqtt_settings::base_topic>("mqtt", "base_topic", check_topic));
  t.push_back(text<&s::mqtt, &mqtt_settings::client_id>("mqtt", "client_id", check_client_id));
  {
    key_spec k;
    k.section = "mqtt";
    k.name = "protocol";
    k.kind = value_kind::choice;
    k.choices = protocol_choices;
    k.store = [](settings& st, const value& v) {
      st.mqtt.protocol = std::get<std::string>(v) == "3.1.1" ? mqtt_protocol::v3_1_1 : mqtt_protocol::v5;
    };
    k.fetch = [](const settings& st) -> value {
      return std::string(st.mqtt.protocol == mqtt_protocol::v3_1_1 ? "3.1.1" : "5");
    };
    t.push_back(k);
  }
  t.push_back(integer<&s::mqtt, &mqtt_settings::keepalive>("mqtt", "keepalive_s", 0, 65'535));
  t.push_back(text<&s::mqtt, &mqtt_settings::username>("mqtt", "username"));
  t.push_back(with_secret(text<&s::mqtt, &mqtt_settings::password>("mqtt", "password")));
  t.push_back(text<&s::mqtt, &mqtt_settings::password_file>("mqtt", "password_file"));
  t.push_back(integer<&s::mqtt, &mqtt_settings::qos_sample>("mqtt", "qos_sample", 0, 2));
  t.push_back(integer<&s::mqtt, &mqtt_settings::qos_other>("mqtt", "qos_other", 0, 2));
  t.push_back(integer<&s::mqtt, &mqtt_settings::qos_stats>("mqtt", "qos_stats", 0, 2));
  t.push_back(integer<&s::mqtt, &mqtt_settings::batch>("mqtt", "batch_ms", 0, 10'000));
  t.push_back(integer<&s::mqtt, &mqtt_settings::sample_batch>("mqtt", "sample_batch_ms", 0, 1'000));
  t.push_back(integer<&s::mqtt, &mqtt_settings::buffer_messages>("mqtt", "buffer_messages", 0, 10'000'000));
  t.push_back(boolean<&s::mqtt, &mqtt_settings::retain_stats>("mqtt", "retain_stats"));
  t.push_back(text<&s::mqtt, &mqtt_settings::tls_ca_file>("mqtt", "tls_ca_file"));
  t.push_back(text<&s::mqtt, &mqtt_settings::tls_cert_file>("mqtt", "tls_cert_file"));
  t.push_back(text<&s::mqtt, &mqtt_settings::tls_key_file>("mqtt", "tls_key_file"));
  t.push_back(boolean<&s::mqtt, &mqtt_settings::tls_verify>("mqtt", "tls_verify"));
  t.push_back(integer<&s::mqtt, &mqtt_settings::connect_timeout>("mqtt", "connect_timeout_s", 1, 3600));
  t.push_back(integer<&s::mqtt, &mqtt_settings::reconnect_min>("mqtt", "reconnect_min_s", 1, 3600));
  t.push_back(integer<&s::mqtt, &mqtt_settings::reconnect_max>("mqtt", "reconnect_max_s", 1, 86'400));

  // [control]
  t.push_back(boolean<&s::control, &control_settings::enabled>("control", "enabled"));
  t.push_back(
      integer<&s::control, &control_settings::max_payload_bytes>("control", "max_payload_bytes", 64, 1'048'576));
  t.push_back(integer<&s::control, &control_settings::max_targets>("control", "max_targets", 0, 100'000));
  t.push_back(integer<&s::control, &control_settings::min_interval>("control", "min_interval_ms", 10, 3'600'000));
  t.push_back(
      integer<&s::control, &control_settings::commands_per_minute>("control", "commands_per_minute", 1, 60'000));
  t.push_back(with_check(field_key<&s::control, &control_settings::allow>("control", "allow", value_kind::string_list),
                         check_hosts_or_cidrs));
  t.push_back(with_check(field_key<&s::control, &control_settings::deny>("control", "deny", value_kind::string_list),
                         check_hosts_or_cidrs));
  t.push_back(boolean<&s::control, &control_settings::allow_loopback>("control", "allow_loopback"));
  t.push_back(boolean<&s::control, &control_settings::allow_link_local>("control", "allow_link_local"));

  // [discovery]
  t.push_back(boolean<&s::discovery, &discovery_settings::enabled>("discovery", "enabled"));
  t.push_back(text<&s::discovery, &discovery_settings::prefix>("discovery", "prefix", check_topic));
  t.push_back(integer<&s::discovery, &discovery_settings::max_targets>("discovery", "max_targets", 0, 10'000));

  // [path]
  t.push_back(boolean<&s::path, &path_settings::enabled>("path", "enabled"));
  t.push_back(integer<&s::path, &path_settings::max_targets>("path", "max_targets", 0, 1000));
  t.push_back(integer<&s::path, &path_settings::max_ttl>("path", "max_ttl", 1, 64));
  t.push_back(integer<&s::path, &path_settings::trace_rounds>("path", "trace_rounds", 1, 10));
  t.push_back(integer<&s::path, &path_settings::retrace>("path", "retrace_s", 10, 86'400));
  t.push_back(integer<&s::path, &path_settings::retrace_min>("path", "retrace_min_s", 1, 3600));
  t.push_back(integer<&s::path, &path_settings::hop_interval>("path", "hop_interval_ms", 100, 60'000));
  t.push_back(integer<&s::path, &path_settings::unknown_interval>("path", "unknown_interval_s", 1, 3600));
  t.push_back(integer<&s::path, &path_settings::max_pps>("path", "max_pps", 1, 10'000));
  t.push_back(integer<&s::path, &path_settings::lan_hops>("path", "lan_hops", -1, 64));
  t.push_back(integer<&s::path, &path_settings::isp_hops>("path", "isp_hops", -1, 64));
  t.push_back(integer<&s::path, &path_settings::isp_public_hops>("path", "isp_public_hops", 0, 16));

  // [verdict]
  t.push_back(number<&s::verdict, &verdict_settings::excess_ms>("verdict", "excess_ms", 0.001, 60'000));
  t.push_back(number<&s::verdict, &verdict_settings::excess_pct>("verdict", "excess_pct", 0.001, 1000));
  t.push_back(number<&s::verdict, &verdict_settings::carry_share>("verdict", "carry_share", 0, 1));
  t.push_back(number<&s::verdict, &verdict_settings::carry_noise_sd>("verdict", "carry_noise_sd", 0, 10));
  t.push_back(number<&s::verdict, &verdict_settings::host_gap_ms>("verdict", "host_gap_ms", 0.001, 60'000));
  t.push_back(integer<&s::verdict, &verdict_settings::confirm_after>("verdict", "confirm_after", 1, 1000));
  t.push_back(integer<&s::verdict, &verdict_settings::clear_after>("verdict", "clear_after", 1, 1000));
  // [history]
  t.push_back(boolean<&s::history, &history_settings::enabled>("history", "enabled"));
  t.push_back(text<&s::history, &history_settings::path>("history", "path"));
  t.push_back(integer<&s::history, &history_settings::keep_minutes>("history", "keep_minutes_days", 1, 3'650));
  t.push_back(integer<&s::history, &history_settings::keep_hours>("history", "keep_hours_days", 1, 36'500));
  t.push_back(integer<&s::history, &history_settings::keep_days>("history", "keep_days_years", 1, 100));
  t.push_back(integer<&s::history, &history_settings::keep_raw>("history", "keep_raw_hours", 0, 8'760));
  t.push_back(integer<&s::history, &history_settings::raw_max_targets>("history", "raw_max_targets", 0, 100'000));
  t.push_back(integer<&s::history, &history_settings::flush_interval>("history", "flush_interval_s", 1, 300));

  // [log]
  {
    key_spec k;
    k.section = "log";
    k.name = "level";
    k.kind = value_kind::choice;
    k.choices = level_choices;
    k.store = [](settings& st, const value& v) {
      const auto& text = std::get<std::string>(v);
      const auto it = std::find(level_choices.begin(), level_choices.end(), text);
      st.log.level = static_cast<log_level>(it - level_choices.begin());
    };
    k.fetch = [](const settings& st) -> value {
      return std::string(level_choices.at(static_cast<std::size_t>(st.log.level)));
    };
    t.push_back(k);
  }
  {
    key_spec k;
    k.section = "log";
    k.name = "format";
    k.kind = value_kind::choice;
    k.choices = format_choices;
    k.store = [](settings& st, const value& v) {
      st.log.format = std::get<std::string>(v) == "json" ? log_format::json : log_format::text;
    };
    k.fetch = [](const settings& st) -> value {
      return std::string(st.log.format == log_format::json ? "json" : "text");
    };
    t.push_back(k);
  }
  return t;
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; });
  return out;
}

}  // namespace

std::string key_spec::full_name() const {
  std::string out(section);
  out += '.';
  out += name;
  return out;
}

std::string key_spec::env_name() const { return "NETSTAB_" + upper(section) + "_" + upper(name); }

void key_spec::apply(settings& s, const value& v) const {
  if (store_probe != nullptr) {
    store_probe(s.probe, v);
  } else {
    store(s, v);
  }
}

value key_spec::read(const settings& s) const { return fetch_probe != nullptr ? fetch_probe(s.probe) : fetch(s); }

std::span<const key_spec> known_keys() {
  static const std::vector<key_spec> table = build_table();
  return table;
}

std::span<const std::string_view> sections() { return section_order; }

const key_spec* find_key(std::string_view section, std::string_view name) {
  const auto keys = known_keys();
  const auto it =
      std::find_if(keys.begin(), keys.end(), [&](const key_spec& k) { return k.section == section && k.name == name; });
  return it == keys.end() ? nullptr : &*it;
}

std::string_view kind_name(value_kind kind) {
  switch (kind) {
    case value_kind::boolean:
      return "a boolean";
    case value_kind::integer:
      return "an integer";
    case value_kind::number:
      return "a number";
    case value_kind::string:
    case value_kind::choice:
      return "a string";
    case value_kind::integer_list:
      return "an array of integers";
    case value_kind::string_list:
      return "an array of strings";
  }
  return "a value";
}

}  // namespace netstab::config
