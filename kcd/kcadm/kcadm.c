/*
 * kcadm.c: the admin CLI's entry point (DESIGN.md §6). The command line is
 * parsed in admin_cli.c and the work is done by the kc_admin_* operations
 * in libkcd (admin.h), so tests can link them.
 *
 *   kcadm [OPTIONS] COMMAND [ARGS]     (kcadm --help lists them)
 *
 * Exit codes: 0 success, 1 failure, 2 usage error.
 */
#include <config.h>

#include "admin.h"
#include "admin_cli.h"
#include "log.h"

int
main(int argc, char **argv)
{
  struct kc_admin_cli cli;
  struct kc_admin ad;
  int rc;

  if ((rc = kc_admin_cli_parse(argc, argv, &cli)) >= 0)
    return rc;
  kc_log_init("kcadm", true, cli.global.verbose);
  rc = kc_admin_init(&ad, &cli.global);
  if (rc == KC_ADMIN_EXIT_OK)
    rc = kc_admin_cli_run(&ad, &cli);
  kc_admin_finish(&ad, rc);
  kc_admin_free(&ad);
  return rc;
}
