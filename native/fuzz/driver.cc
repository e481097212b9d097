// The fuzzer's main(): runs a target's seeds, then a fixed number of
// mutants of them, each made from (seed, run number) alone, so that any one
// of them can be made again without the others. A failure (a FUZZ_CHECK, a
// sanitizer report, or a run that never ends) prints the seed and run that
// repeat it and saves the input to a file.
//
//   TARGET [--runs=N] [--seed=S|random] [--run=R] [--timeout=SECONDS] [FILE...]
//
// --runs (or ESHM_FUZZ_RUNS): how many mutants; default 300000.
// --seed (or ESHM_FUZZ_SEED): the generator's seed; default 1, so that every
//   run of the test suite tries the same inputs; "random" picks one (printed).
// --run=R: only mutant R of the seed (what a failure report asks for).
// --timeout: a run taking longer is reported as a hang; default 10 s.
// FILE...: run these inputs only (a saved failure), no mutants.
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "fuzz/fuzz.h"
#include "fuzz/mutate.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace eshm {
namespace fuzz {
namespace {

constexpr uint64_t kDefaultRuns = 300000;

struct Options {
  uint64_t runs = kDefaultRuns;
  uint64_t seed = 1;
  uint64_t only_run = 0;  // 0: all
  unsigned timeout_s = 10;
  std::vector<std::string> files;
};

// What is running now, for the failure report. Written by the main thread
// only; read by the report (on that thread, or by the watchdog once the
// main thread has been stuck for seconds).
struct Current {
  std::string program;
  std::string name;
  uint64_t seed = 0;
  uint64_t run = 0;            // mutant number; 0 while the seeds or files run
  std::string label;           // what is running, when not a mutant
  const Bytes* input = nullptr;
  std::atomic<uint64_t> started{0};  // runs begun, watched for progress
};
Current current;

uint64_t Number(const char* text, const char* what) {
  char* end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
    std::fprintf(stderr, "fuzz: %s must be a decimal number, not \"%s\"\n", what, text);
    std::exit(2);
  }
  return value;
}

uint64_t RandomSeed() {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) != sizeof seed) seed = static_cast<uint64_t>(time(nullptr));
  return seed;
}

uint64_t SeedFrom(const char* text) {
  return std::strcmp(text, "random") == 0 ? RandomSeed() : Number(text, "the seed");
}

Options Parse(int argc, char** argv) {
  Options o;
  if (const char* runs = std::getenv("ESHM_FUZZ_RUNS")) o.runs = Number(runs, "ESHM_FUZZ_RUNS");
  if (const char* seed = std::getenv("ESHM_FUZZ_SEED")) o.seed = SeedFrom(seed);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* flag) -> const char* {
      size_t n = std::strlen(flag);
      return arg.compare(0, n, flag) == 0 ? argv[i] + n : nullptr;
    };
    if (const char* v = value("--runs=")) {
      o.runs = Number(v, "--runs");
    } else if (const char* v = value("--seed=")) {
      o.seed = SeedFrom(v);
    } else if (const char* v = value("--run=")) {
      o.only_run = Number(v, "--run");
    } else if (const char* v = value("--timeout=")) {
      o.timeout_s = static_cast<unsigned>(Number(v, "--timeout"));
    } else if (arg.compare(0, 2, "--") == 0) {
      std::fprintf(stderr, "fuzz: unknown option %s (see native/fuzz/README.md)\n", argv[i]);
      std::exit(2);
    } else {
      o.files.push_back(arg);
    }
  }
  return o;
}

// Mutant `run` of `seed`: its own generator, so it needs no other run.
Bytes MutantFor(uint64_t seed, uint64_t run, const std::vector<Bytes>& seeds, size_t max_size) {
  Rng rng(Rng(seed).Next() ^ (run * 0xd1342543de82ef95ull));
  return Mutant(rng, seeds, max_size);
}

// Async-signal-safe enough for a sanitizer's death callback: write(2) only,
// after formatting on the stack.
void Say(const char* text) {
  size_t n = std::strlen(text);
  while (n > 0) {
    ssize_t put = write(STDERR_FILENO, text, n);
    if (put <= 0) return;
    text += put;
    n -= static_cast<size_t>(put);
  }
}

// Saves the input beside the working directory's other files; returns the
// file's name, or "" if it could not be written.
std::string Save(const Bytes& input) {
  std::string file = current.name + "-failure-seed" + std::to_string(current.seed) + "-run" +
                     std::to_string(current.run) + ".bin";
  int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "";
  bool whole = write(fd, input.data(), input.size()) == static_cast<ssize_t>(input.size());
  close(fd);
  return whole ? file : "";
}

void Report(const char* why) {
  char line[512];
  if (current.run != 0) {
    std::snprintf(line, sizeof line, "\nfuzz %s: FAILED at run %llu of seed %llu: %s\n", current.name.c_str(),
                  static_cast<unsigned long long>(current.run), static_cast<unsigned long long>(current.seed), why);
  } else {
    std::snprintf(line, sizeof line, "\nfuzz %s: FAILED on %s: %s\n", current.name.c_str(), current.label.c_str(), why);
  }
  Say(line);
  if (current.input == nullptr) return;
  const Bytes& input = *current.input;
  std::snprintf(line, sizeof line, "  the input, %zu bytes:", input.size());
  Say(line);
  for (size_t i = 0; i < input.size() && i < 96; ++i) {
    std::snprintf(line, sizeof line, "%s%02x", i % 32 == 0 ? "\n   " : " ", input[i]);
    Say(line);
  }
  Say(input.size() > 96 ? " ...\n" : "\n");
  if (current.run == 0) return;
  std::string file = Save(input);
  if (!file.empty()) {
    std::snprintf(line, sizeof line, "  saved to %s\n", file.c_str());
    Say(line);
  }
  std::snprintf(line, sizeof line, "  repeat it: %s --seed=%llu --run=%llu%s%s\n", current.program.c_str(),
                static_cast<unsigned long long>(current.seed), static_cast<unsigned long long>(current.run),
                file.empty() ? "" : "   or: " , file.empty() ? "" : (current.program + " " + file).c_str());
  Say(line);
}

void ReportSanitizerFinding() { Report("the sanitizer's report above"); }

// UndefinedBehaviorSanitizer ends the process through its own runtime
// (GCC links it apart from AddressSanitizer's, whose death callback it
// never calls), so it is told to abort; the library's own checks
// (_GLIBCXX_ASSERTIONS) and std::terminate abort too. Reports, then exits
// with status 1, as the sanitizers do (ctest's check of a canary's report
// would not count a death by signal).
void ReportAbort(int) {
  Report("the process aborted (see the report above)");
  _exit(1);
}

// A run that takes longer than `timeout_s` is a hang: report it and end
// the process, rather than leave ctest to kill it without the input.
void StartWatchdog(unsigned timeout_s) {
  std::thread([timeout_s] {
    uint64_t seen = current.started.load();
    unsigned still = 0;
    for (;;) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      uint64_t now = current.started.load();
      still = now == seen ? still + 1 : 0;
      seen = now;
      if (still >= timeout_s) {
        Report("a run took longer than the timeout (a hang?)");
        _exit(1);
      }
    }
  }).detach();
}

void RunOne(const Bytes& input) {
  current.input = &input;
  current.started.fetch_add(1, std::memory_order_relaxed);
  LLVMFuzzerTestOneInput(input.data(), input.size());
  current.input = nullptr;
}

Bytes ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "fuzz: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

void Failed(const char* file, int line, const char* what) {
  char why[512];
  std::snprintf(why, sizeof why, "%s (%s:%d)", what, file, line);
  Report(why);
  std::exit(1);
}

}  // namespace fuzz
}  // namespace eshm

// Defaults of UndefinedBehaviorSanitizer's runtime (UBSAN_OPTIONS adds to
// them): abort, so that ReportAbort names the input.
extern "C" const char* __ubsan_default_options() { return "abort_on_error=1:print_stacktrace=1"; }

int main(int argc, char** argv) {
  using namespace eshm::fuzz;
  Options options = Parse(argc, argv);
  current.program = argv[0];
  const char* slash = std::strrchr(argv[0], '/');
  current.name = slash != nullptr ? slash + 1 : argv[0];
  current.seed = options.seed;
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_set_death_callback(ReportSanitizerFinding);
#endif
  signal(SIGABRT, ReportAbort);
  StartWatchdog(options.timeout_s);

  if (!options.files.empty()) {
    for (const std::string& file : options.files) {
      current.label = file;
      RunOne(ReadFile(file));
    }
    std::printf("fuzz %s: %zu input(s) from files, no failure\n", current.name.c_str(), options.files.size());
    return 0;
  }

  const std::vector<Bytes> seeds = FuzzSeeds();
  if (seeds.empty()) {
    std::fprintf(stderr, "fuzz %s: FuzzSeeds() gave no seeds\n", current.name.c_str());
    return 2;
  }
  size_t max_size = 64;
  for (const Bytes& s : seeds) max_size = std::max(max_size, 2 * s.size());

  if (options.only_run != 0) {
    current.run = options.only_run;
    RunOne(MutantFor(options.seed, options.only_run, seeds, max_size));
    std::printf("fuzz %s: run %llu of seed %llu, no failure\n", current.name.c_str(),
                static_cast<unsigned long long>(options.only_run), static_cast<unsigned long long>(options.seed));
    return 0;
  }

  std::printf("fuzz %s: seed %llu, %zu seeds, %llu mutants (repeat: %s --seed=%llu)\n", current.name.c_str(),
              static_cast<unsigned long long>(options.seed), seeds.size(),
              static_cast<unsigned long long>(options.runs), argv[0], static_cast<unsigned long long>(options.seed));
  std::fflush(stdout);
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < seeds.size(); ++i) {
    current.label = "seed input " + std::to_string(i);
    RunOne(seeds[i]);
  }
  for (uint64_t run = 1; run <= options.runs; ++run) {
    current.run = run;
    RunOne(MutantFor(options.seed, run, seeds, max_size));
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("fuzz %s: %llu mutants in %.1f s, no failure\n", current.name.c_str(),
              static_cast<unsigned long long>(options.runs), seconds);
  return 0;
}
