// A program for the ChildProcess tests, so they spawn nothing but what the
// build made. Arguments are commands run in order:
//   out TEXT | err TEXT   write TEXT and a newline to stdout | stderr (unbuffered)
//   env NAME              write NAME's value (or "none") to stdout
//   exit CODE             exit with CODE
//   hang                  sleep until killed

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>

namespace {

void write_line(int fd, std::string line) {
  line += '\n';
  std::string_view rest = line;
  while (!rest.empty()) {
    const auto n = ::write(fd, rest.data(), rest.size());
    if (n <= 0) std::_Exit(2);  // stdout or stderr is gone: nothing to flush
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view command = argv[i];
    if (command == "hang") {
      while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    if (i + 1 == argc) return 2;  // a command without its argument
    const char* arg = argv[++i];
    if (command == "out") write_line(1, arg);
    if (command == "err") write_line(2, arg);
    if (command == "env") write_line(1, std::getenv(arg) != nullptr ? std::getenv(arg) : "none");
    if (command == "exit") return std::atoi(arg);
  }
  return 0;
}
