// orsa: the command-line client. Wiring only; the commands live in src/cli.

#include "cli/app.hpp"

int main(int argc, char** argv) {
  return orsa::cli::run(argc, argv);
}
