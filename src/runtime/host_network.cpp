#include "host_network.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "core/strings.hpp"
#include "core/unique_fd.hpp"

// The kernel's netlink macros (NLMSG_*, RTA_*) are C casts.
#pragma GCC diagnostic ignored "-Wold-style-cast"

namespace orsa::runtime::detail {
namespace {

void add_attribute(nlmsghdr& message, std::size_t capacity, unsigned short type, const void* data,
                   std::size_t size) {
  const std::size_t at = NLMSG_ALIGN(message.nlmsg_len);
  const auto length = static_cast<unsigned short>(RTA_LENGTH(size));
  if (at + RTA_ALIGN(length) > capacity) return;  // sized by the caller: cannot happen
  auto* attribute = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&message) + at);
  attribute->rta_type = type;
  attribute->rta_len = length;
  std::memcpy(RTA_DATA(attribute), data, size);
  message.nlmsg_len = static_cast<std::uint32_t>(at + RTA_ALIGN(length));
}

// The kernel's answer to one request with NLM_F_ACK: 0 or a negative errno.
int read_ack(int fd, std::uint32_t sequence) {
  alignas(nlmsghdr) char buffer[8192];
  while (true) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    auto length = static_cast<unsigned int>(n);
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(header, length);
         header = NLMSG_NEXT(header, length)) {
      if (header->nlmsg_seq != sequence || header->nlmsg_type != NLMSG_ERROR) continue;
      return reinterpret_cast<const nlmsgerr*>(NLMSG_DATA(header))->error;
    }
  }
}

}  // namespace

Result<Ipv4Subnet> parse_ipv4_subnet(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return fail(Error::invalid_argument("subnet without a prefix length"));
  }
  const std::string address(text.substr(0, slash));
  in_addr parsed{};
  if (::inet_pton(AF_INET, address.c_str(), &parsed) != 1) {
    return fail(Error::invalid_argument("not an IPv4 subnet: " + std::string(text)));
  }
  int prefix = -1;
  const std::string_view digits = text.substr(slash + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
  if (ec != std::errc() || end != digits.data() + digits.size() || prefix < 8 || prefix > 30) {
    return fail(Error::invalid_argument("subnet prefix must be 8..30: " + std::string(text)));
  }
  const std::uint32_t mask = ~std::uint32_t{0} << (32 - prefix);
  return Ipv4Subnet{.network = ntohl(parsed.s_addr) & mask, .prefix = prefix};
}

std::string first_host_address(const Ipv4Subnet& subnet) {
  const std::uint32_t host = subnet.network + 1;
  char text[INET_ADDRSTRLEN];
  std::snprintf(text, sizeof text, "%u.%u.%u.%u", (host >> 24) & 255, (host >> 16) & 255,
                (host >> 8) & 255, host & 255);
  return text;
}

std::string bridge_name_for(std::string_view network_name) {
  std::uint64_t hash = 14695981039346656037ULL;  // FNV-1a
  for (const char c : network_name) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  char text[16];
  std::snprintf(text, sizeof text, "orsa%010llx",
                static_cast<unsigned long long>(hash & 0xffffffffffULL));
  return text;
}

bool interface_has_ipv4(const std::string& ifname) {
  ifaddrs* all = nullptr;
  if (::getifaddrs(&all) != 0) return false;
  bool found = false;
  for (const ifaddrs* a = all; a != nullptr && !found; a = a->ifa_next) {
    found = a->ifa_addr != nullptr && a->ifa_addr->sa_family == AF_INET && ifname == a->ifa_name;
  }
  ::freeifaddrs(all);
  return found;
}

Result<void> ensure_interface_address(const std::string& ifname, const std::string& address,
                                      int prefix) {
  const unsigned int index = ::if_nametoindex(ifname.c_str());
  if (index == 0) return fail(Error::not_found("no host interface " + ifname));
  in_addr parsed{};
  if (::inet_pton(AF_INET, address.c_str(), &parsed) != 1) {
    return fail(Error::invalid_argument("not an IPv4 address: " + address));
  }
  const UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (fd.get() < 0) {
    return fail(Error::unavailable(std::string("netlink socket: ") + errno_message(errno)));
  }
  struct {
    nlmsghdr header;
    ifaddrmsg address;
    char attributes[64];
  } request{};
  constexpr std::uint32_t kSequence = 1;
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(ifaddrmsg));
  request.header.nlmsg_type = RTM_NEWADDR;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
  request.header.nlmsg_seq = kSequence;
  request.address.ifa_family = AF_INET;
  request.address.ifa_prefixlen = static_cast<unsigned char>(prefix);
  request.address.ifa_scope = RT_SCOPE_UNIVERSE;
  request.address.ifa_index = index;
  add_attribute(request.header, sizeof request, IFA_LOCAL, &parsed, sizeof parsed);
  add_attribute(request.header, sizeof request, IFA_ADDRESS, &parsed, sizeof parsed);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd.get(), &request, request.header.nlmsg_len, 0,
               reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel) < 0) {
    return fail(Error::unavailable(std::string("netlink send: ") + errno_message(errno)));
  }
  const int result = read_ack(fd.get(), kSequence);
  if (result == 0 || result == -EEXIST) return {};
  if (result == -EPERM) {
    return fail(
        Error::permission_denied("adding " + address + " to " + ifname + " needs CAP_NET_ADMIN"));
  }
  return fail(Error::unavailable("cannot add " + address + " to " + ifname + ": " +
                                 errno_message(-result)));
}

}  // namespace orsa::runtime::detail
