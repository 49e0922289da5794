/*
 * admin_cli.h: kcadm's command line: options, subcommands, help texts,
 * and the dispatch to the operations of admin.h.
 *
 *   kcadm [OPTIONS] GROUP COMMAND [ARGS] [COMMAND OPTIONS]
 *
 * Options may stand anywhere before a "--" (GNU getopt order). Each
 * command accepts only its own options; `--help` after a group or a
 * command prints that part of the help on stdout. Usage errors print one
 * line and a hint on stderr and give KC_ADMIN_EXIT_USAGE.
 */
#ifndef KC_ADMIN_CLI_H
#define KC_ADMIN_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "admin.h"
#include "kc_attrs.h"

struct kc_admin_cli_cmd; /* admin_cli.c's command table */

/* Positional arguments after GROUP COMMAND, at most. */
#define KC_ADMIN_CLI_MAX_ARGS 4

/* A parsed command line; strings point into argv. */
struct kc_admin_cli {
  struct kc_admin_opts global;
  const struct kc_admin_cli_cmd *cmd;
  const char *arg[KC_ADMIN_CLI_MAX_ARGS];
  size_t nargs;
  const char *email, *name, *customer, *username, *tan, *mobile;
  const char *first_name, *last_name;
  bool strict, mail_password, all, force;
  unsigned given; /* which command options were given (bits) */
};

/*
 * Parse argv into cli. Returns -1 when there is a command to run, or an
 * exit status when there is not: KC_ADMIN_EXIT_OK after printing help,
 * KC_ADMIN_EXIT_USAGE after a usage error.
 */
int kc_admin_cli_parse(int argc, char **argv, struct kc_admin_cli *cli)
  KC_NONNULL(2, 3);

/* Run the parsed command; returns its exit status. */
int kc_admin_cli_run(struct kc_admin *ad, const struct kc_admin_cli *cli)
  KC_NONNULL(1, 2);

/* The general help (kcadm --help) on f. */
void kc_admin_cli_usage(FILE *f) KC_NONNULL(1);

#endif /* KC_ADMIN_CLI_H */
