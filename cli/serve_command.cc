// `mimicit serve DATA.yaml`: the web viewer (mimicit/server.h) on
// http://127.0.0.1:8000/ by default. Prints "Serving URL" once it listens
// and stops cleanly on SIGINT or SIGTERM: the signals are blocked in every
// thread and one thread waits for them with sigwait(), so the server is
// stopped from ordinary code, not from a signal handler.
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <memory>
#include <thread>

#include "commands.h"
#include "mimicit/error.h"
#include "mimicit/server.h"

namespace mimicit::cli {

namespace {

struct ServeArgs {
  std::string yaml;
  bool no_validate = false;
  server::ServerOptions options;
};

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

int run_serve(ServeArgs& args) {
  args.options.validate = !args.no_validate;
  // Blocked before any thread starts, so every thread inherits the mask and
  // only the waiter below ever takes the signals.
  const sigset_t signals = stop_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::cerr << "mimicit: loading " << args.yaml << '\n';
  auto server = server::Server::open(args.yaml, args.options);
  server->bind();
  if (!server::is_loopback_host(args.options.host)) {
    print_error("warning: listening on " + args.options.host +
                ": anyone who can reach this address can read the data");
  }
  std::cout << "Serving " << server->url() << std::endl;

  std::thread waiter([&server, signals] {
    int signal = 0;
    sigwait(&signals, &signal);
    server->stop();
  });
  try {
    server->run();
  } catch (...) {
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
    throw;
  }
  // run() returns only after stop(), which the waiter calls.
  waiter.join();
  std::cerr << "mimicit: stopped\n";
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, Action& action) {
  auto* command = app.add_subcommand(
      "serve", "Browse a data YAML's datasets, samples, images, statistics and validation in a web browser");
  auto args = std::make_shared<ServeArgs>();
  command->add_option("DATA_YAML", args->yaml, "The data YAML (groups of datasets)")->required();
  command
      ->add_option("--host", args->options.host,
                   "Address to listen on (one that is not loopback exposes the data to the network)")
      ->capture_default_str();
  command->add_option("--port", args->options.port, "Port to listen on; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  command->add_option("--threads", args->options.threads, "Threads answering requests (default: 32)")
      ->check(CLI::Range(1, 1024));
  add_name_option(*command, "--instruction-format", args->options.sample.instruction_format,
                  dataset::kInstructionFormatNames, "Prompt format shown by default");
  command->add_flag("--keep-symbols", args->options.sample.keep_symbols,
                    "Keep symbols in prompts (default: delete them as the reference does)");
  add_python_unicode_option(*command, args->options.sample.python_unicode);
  command->add_flag("--populate-rel-ins", args->options.sample.populate_rel_ins,
                    "Use rel_ins_ids as in-context examples when a dataset has no train config");
  command
      ->add_option("--resample-frames", args->options.sample.resample_frames, "VIDEO_TEXT frames per sample")
      ->check(CLI::Range(1u, 1u << 20))
      ->capture_default_str();
  command->add_option("--base-dir", args->options.base_dir,
                      "Resolve relative paths of the YAML against DIR (default: the working directory)");
  command->add_option("--cache-dir", args->options.cache_dir,
                      "Save image store indexes in DIR when a store's folder is read-only (default: "
                      "$MIMICIT_CACHE_DIR, else $XDG_CACHE_HOME/mimicit, else ~/.cache/mimicit)");
  command
      ->add_option("--stats-records", args->options.stats_records,
                   "Statistics: at most N records, evenly spaced")
      ->capture_default_str();
  command->add_option("--stats-images", args->options.stats_images, "Statistics: at most N images")
      ->capture_default_str();
  command->add_flag("--no-validate", args->no_validate, "Do not run mimicit validate in the background");
  command->add_flag("--validate-decode", args->options.validate_decode,
                    "Background validation also decodes every image (reads every store in full)");
  command->footer(
      "Prints 'Serving http://HOST:PORT/' once it listens; Ctrl-C (SIGINT) or SIGTERM stops it. Only GET and "
      "HEAD "
      "are served; on a loopback address only requests to a loopback name are answered.");
  command->callback([&action, args] { action = [args] { return run_serve(*args); }; });
}

}  // namespace mimicit::cli
