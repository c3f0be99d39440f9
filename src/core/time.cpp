#include "core/time.hpp"

#include <algorithm>

namespace orsa {
namespace {

struct CivilDate {
  std::int64_t year;
  unsigned month, day;
};

// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
// civil_from_days): no locale or time zone lookups, unlike gmtime/strftime,
// which showed up in the profile of list responses.
CivilDate civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2), m, d};
}

// civil_from_days's inverse (days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// `width` decimal digits at `pos`, or -1.
int digits_at(std::string_view s, std::size_t pos, std::size_t width) {
  if (pos + width > s.size()) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value;
}

bool is_leap(int year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

// "+HH:MM", "-HH:MM" or "Z" (any case) at the end: the offset in seconds.
std::optional<std::int64_t> parse_offset(std::string_view zone) {
  if (zone == "Z" || zone == "z") return 0;
  if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':') {
    return std::nullopt;
  }
  const int hours = digits_at(zone, 1, 2), minutes = digits_at(zone, 4, 2);
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return std::nullopt;
  const std::int64_t offset = hours * 3600 + minutes * 60;
  return zone[0] == '+' ? offset : -offset;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const int year = digits_at(text, 0, 4), month = digits_at(text, 5, 2),
            day = digits_at(text, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) {
    return std::nullopt;
  }
  const std::int64_t midnight =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400;
  if (text.size() == 10) return midnight;
  if (text.size() < 20 || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  const int hour = digits_at(text, 11, 2), minute = digits_at(text, 14, 2),
            second = digits_at(text, 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  std::size_t rest = 19;
  if (text[rest] == '.') {
    const std::size_t first = ++rest;
    while (rest < text.size() && text[rest] >= '0' && text[rest] <= '9') ++rest;
    if (rest == first) return std::nullopt;
  }
  const auto offset = parse_offset(text.substr(rest));
  if (!offset) return std::nullopt;
  return midnight + hour * 3600 + minute * 60 + std::min(second, 59) - *offset;
}

std::string format_rfc3339(std::int64_t unix_seconds) {
  std::int64_t days = unix_seconds / 86400;
  std::int64_t rem = unix_seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  const CivilDate date = civil_from_days(days);
  if (date.year < 0 || date.year > 9999) return "0000-01-01T00:00:00Z";  // outside RFC 3339
  std::string out = "0000-00-00T00:00:00Z";
  const auto put = [&out](std::size_t pos, std::int64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10) {
      out[pos + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
    }
  };
  put(0, date.year, 4);
  put(5, date.month, 2);
  put(8, date.day, 2);
  put(11, rem / 3600, 2);
  put(14, rem / 60 % 60, 2);
  put(17, rem % 60, 2);
  return out;
}

}  // namespace orsa
