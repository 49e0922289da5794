/*
 * kcd.c: the kcd daemon's entry point: options, configuration, and (soon)
 * the serving loop.
 *
 *   kcd [-d] [-f FILE] [--check-config] [-h]
 *
 * Exit codes: 0 success, 1 failure (bad configuration, start-up error),
 * 2 usage error.
 */
#include <config.h>

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "conf.h"
#include "username.h"
#include "daemon.h"
#include "log.h"

#define KCD_EXIT_USAGE 2

struct kcd_opts {
  const char *config; /* -f */
  bool debug;         /* -d: foreground, log to stderr, verbose */
  bool check;         /* --check-config */
};

static void
usage(FILE *f)
{
  fprintf(f,
          "usage: kcd [-d] [-f FILE] [--check-config] [-h]\n"
          "  -d, --debug          stay in the foreground, log to stderr\n"
          "  -f, --config FILE    configuration file (default %s)\n"
          "      --check-config   check the configuration and secret files, "
          "then exit\n"
          "  -h, --help           show this help\n",
          KC_CONF_DEFAULT_PATH);
}

/* Fill o from argv. Returns -1 to go on, or an exit code. */
static int
parse_args(int argc, char **argv, struct kcd_opts *o)
{
  static const struct option longopts[] = {
    {"debug", no_argument, NULL, 'd'},
    {"config", required_argument, NULL, 'f'},
    {"check-config", no_argument, NULL, 'C'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
  };
  int ch;

  o->config = KC_CONF_DEFAULT_PATH;
  o->debug = false;
  o->check = false;
  while ((ch = getopt_long(argc, argv, "df:h", longopts, NULL)) != -1) {
    switch (ch) {
      case 'd':
        o->debug = true;
        break;
      case 'f':
        o->config = optarg;
        break;
      case 'C':
        o->check = true;
        break;
      case 'h':
        usage(stdout);
        return EXIT_SUCCESS;
      default:
        usage(stderr);
        return KCD_EXIT_USAGE;
    }
  }
  if (optind != argc) {
    fprintf(stderr, "kcd: unexpected argument \"%s\"\n", argv[optind]);
    usage(stderr);
    return KCD_EXIT_USAGE;
  }
  return -1;
}

/* Load the configuration and check its secret files; one line on error. */
static int
load_config(const struct kcd_opts *o, struct kc_conf *conf)
{
  char err[512];

  struct kc_username_list reserved;
  int r;

  kc_username_list_init(&reserved);
  if (kc_conf_load(conf, o->config, err, sizeof(err)) != 0 ||
      kc_conf_check_secrets(conf, err, sizeof(err)) != 0) {
    kc_log_warnx("%s", err);
    return -1;
  }
  r = kc_username_list_load(&reserved, conf->reserved_usernames_file, err,
                            sizeof(err));
  kc_username_list_free(&reserved);
  if (r != 0) {
    kc_log_warnx("reserved_usernames_file %s", err);
    return -1;
  }
  return 0;
}

int
main(int argc, char **argv)
{
  struct kcd_opts opts;
  struct kc_conf conf;
  int rc;

  if ((rc = parse_args(argc, argv, &opts)) >= 0)
    return rc;
  /* stderr until the serving code detaches; start-up errors belong there */
  kc_log_init("kcd", true, opts.debug);
  kc_conf_init(&conf);
  if (load_config(&opts, &conf) != 0) {
    kc_conf_free(&conf);
    return EXIT_FAILURE;
  }
  if (opts.check) {
    kc_log_info("configuration OK");
    rc = EXIT_SUCCESS;
  } else {
    rc = kc_daemon_serve(&conf, opts.debug);
  }
  kc_conf_free(&conf);
  return rc;
}
