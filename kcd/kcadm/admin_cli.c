/*
 * admin_cli.c: kcadm's command line (see admin_cli.h): one getopt_long
 * pass over every option, then the command table decides which options
 * and how many arguments a command takes, and which operation runs it.
 */
#include <config.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "admin_cli.h"
#include "conf.h"

/* Command options, as bits of kc_admin_cli.given. */
#define OPT_EMAIL    (1u << 0)
#define OPT_NAME     (1u << 1)
#define OPT_STRICT   (1u << 2)
#define OPT_CUSTOMER (1u << 3)
#define OPT_USERNAME (1u << 4)
#define OPT_TAN      (1u << 5)
#define OPT_MOBILE   (1u << 6)
#define OPT_FIRST    (1u << 7)
#define OPT_LAST     (1u << 8)
#define OPT_MAILPW   (1u << 9)
#define OPT_ALL      (1u << 10)
#define OPT_FORCE    (1u << 11)

struct kc_admin_cli_cmd {
  const char *group;
  const char *name;
  const char *synopsis; /* after "kcadm GROUP NAME " */
  const char *help;     /* what it does, a few lines */
  size_t min_args, max_args;
  unsigned opts;     /* command options it accepts */
  unsigned required; /* of those, the ones it needs */
  int (*run)(struct kc_admin *ad, const struct kc_admin_cli *cli);
};

/* ------------------------------------------------------------ runners */

static int
run_customer_add(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  return kc_admin_customer_add(ad, c->arg[0], c->email, c->name);
}

static int
run_customer_show(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  return kc_admin_customer_show(ad, c->arg[0]);
}

static int
run_customer_list(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  (void) c;
  return kc_admin_customer_list(ad);
}

static int
run_customer_import(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  return kc_admin_customer_import(ad, c->arg[0], c->strict);
}

static int
run_account_create(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  struct kc_admin_account_new a;

  memset(&a, 0, sizeof(a));
  a.customer = c->customer;
  a.email = c->email;
  a.username = c->username;
  a.tan = c->tan;
  a.mobile = c->mobile;
  a.first_name = c->first_name;
  a.last_name = c->last_name;
  a.mail_password = c->mail_password;
  return kc_admin_account_create(ad, &a);
}

static int
run_account_show(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  return kc_admin_account_show(ad, c->arg[0]);
}

static int
run_account_list(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  return kc_admin_account_list(ad, c->customer);
}

static int
run_account_lock(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  return kc_admin_account_lock(ad, c->arg[0]);
}

static int
run_account_unlock(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  return kc_admin_account_unlock(ad, c->arg[0]);
}

static int
run_account_reset(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  return kc_admin_account_reset_password(ad, c->arg[0], c->mail_password);
}

static int
run_account_set_tan(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  return kc_admin_account_set_tan(ad, c->arg[0], c->arg[1], c->mobile);
}

static int
run_account_rename(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  return kc_admin_account_rename(ad, c->arg[0], c->arg[1]);
}

static int
run_account_delete(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  return kc_admin_account_delete(ad, c->arg[0]);
}

static int
run_account_add_customer(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  return kc_admin_account_add_customer(ad, c->arg[0], c->arg[1]);
}

static int
run_account_remove_customer(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  return kc_admin_account_remove_customer(ad, c->arg[0], c->arg[1], c->force);
}

static int
run_account_set_role(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  return kc_admin_account_set_role(ad, c->arg[0], c->arg[1], c->force);
}

static int
run_registration_list(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  (void) c;
  return kc_admin_registration_list(ad);
}

static int
run_registration_purge(struct kc_admin *ad, const struct kc_admin_cli *c)
{
  return kc_admin_registration_purge(ad, c->all);
}

/* ------------------------------------------------------------ table */

static const struct kc_admin_cli_cmd commands[] = {
  {"customer", "add", "NUMBER --email ADDR [--name NAME]",
   "Add a customer (kcCustomerNumber=NUMBER,ou=customers) with the\n"
   "master-data contact address that registration mails go to, and the\n"
   "customer's name. Fails when the customer exists.",
   1, 1, OPT_EMAIL | OPT_NAME, OPT_EMAIL, run_customer_add},
  {"customer", "show", "NUMBER",
   "Show a customer and the accounts that serve it.", 1, 1, 0, 0,
   run_customer_show},
  {"customer", "list", "", "List all customers.", 0, 0, 0, 0,
   run_customer_list},
  {"customer", "import", "FILE.csv [--strict]",
   "Import customers from a CSV file (\"-\" reads stdin): a header row\n"
   "naming the columns Kundennummer, E-Mail and optionally Name (or\n"
   "customer_number, email, name), separated by \";\" or \",\", UTF-8.\n"
   "New customers are added; known ones get the file's e-mail address and\n"
   "name (an empty name keeps the stored one). Bad rows and repeated\n"
   "customer numbers are reported with their line and skipped; with\n"
   "--strict a single bad row means nothing is imported. Shows a progress\n"
   "bar on a terminal and ends with the counts added, updated, unchanged,\n"
   "skipped and failed. Fails when --strict refused or a row could not be\n"
   "written.",
   1, 1, OPT_STRICT, 0, run_customer_import},
  {"account", "create",
   "--customer NUMBER --email ADDR [--username NAME]\n"
   "        [--tan none|email|mtan] [--mobile PHONE] [--first-name X]\n"
   "        [--last-name Y] [--mail-password]",
   "Provision an account for an existing customer (\"automatically\n"
   "registered\"). The user name is --username, or made from the names\n"
   "(first initial + last name) or \"k\" + the customer number, with a\n"
   "number appended until it is free. A random temporary password is\n"
   "printed once, or with --mail-password mailed to ADDR through kcd's\n"
   "mail_transport and not shown. The user must change the password\n"
   "(pwdReset) and choose a new user name and, unless --tan is given, a\n"
   "TAN method at the first login (kcFirstLogin). The first account of a\n"
   "customer gets the role admin, later ones user. --tan mtan needs\n"
   "--mobile.",
   0, 0,
   OPT_CUSTOMER | OPT_EMAIL | OPT_USERNAME | OPT_TAN | OPT_MOBILE | OPT_FIRST |
     OPT_LAST | OPT_MAILPW,
   OPT_CUSTOMER | OPT_EMAIL, run_account_create},
  {"account", "show", "USER",
   "Show an account: names, addresses, customers, role, TAN method, and\n"
   "its password-policy state (locked, must change, failed logins, wrong\n"
   "TANs).",
   1, 1, 0, 0, run_account_show},
  {"account", "list", "[--customer NUMBER]",
   "List all accounts, or those of one customer.", 0, 0, OPT_CUSTOMER, 0,
   run_account_list},
  {"account", "lock", "USER",
   "Lock an account for good (pwdAccountLockedTime 000001010000Z): every\n"
   "login is refused until `account unlock`; an open TAN is void.",
   1, 1, 0, 0, run_account_lock},
  {"account", "unlock", "USER",
   "Unlock an account, whether an admin, failed logins or wrong TANs\n"
   "locked it; the counts of failed logins and wrong TANs start again.",
   1, 1, 0, 0, run_account_unlock},
  {"account", "reset-password", "USER [--mail-password]",
   "Give the account a new random temporary password, printed once or\n"
   "mailed to the account's address; the user must change it at the next\n"
   "login (pwdReset).",
   1, 1, OPT_MAILPW, 0, run_account_reset},
  {"account", "set-tan", "USER none|email|mtan|totp [--mobile PHONE]",
   "Set the second factor of an account. mtan needs a mobile number:\n"
   "--mobile, or the one stored; national numbers get\n"
   "default_country_code. An outstanding TAN is cancelled.",
   2, 2, OPT_MOBILE, 0, run_account_set_tan},
  {"account", "rename", "OLD NEW",
   "Rename an account (LDAP modrdn): it keeps its entryUUID and every\n"
   "other attribute; the old name stops working at once.",
   2, 2, 0, 0, run_account_rename},
  {"account", "delete", "USER", "Delete an account.", 1, 1, 0, 0,
   run_account_delete},
  {"account", "add-customer", "USER NUMBER",
   "Let the account serve one more customer (an existing one): adds\n"
   "NUMBER to its customer numbers. Its role holds for every customer it\n"
   "serves. An account that serves the customer already is left as it is\n"
   "(exit status 0, \"nothing changed\").",
   2, 2, 0, 0, run_account_add_customer},
  {"account", "remove-customer", "USER NUMBER [--force]",
   "Take a customer number from the account. The last one is never taken\n"
   "(an account serves at least one customer). The last admin of the\n"
   "customer is not taken from it unless --force. An account that does\n"
   "not serve the customer is left as it is (exit status 0).",
   2, 2, OPT_FORCE, 0, run_account_remove_customer},
  {"account", "set-role", "USER admin|user [--force]",
   "Set the account's role in all of its customers: admin (manages the\n"
   "customers' accounts on the web) or user. The last admin of any of its\n"
   "customers is not made user unless --force.",
   2, 2, OPT_FORCE, 0, run_account_set_role},
  {"registration", "list", "",
   "List pending registrations: id, customer number, masked e-mail\n"
   "address and expiry.",
   0, 0, 0, 0, run_registration_list},
  {"registration", "purge", "[--all]",
   "Delete expired registrations; with --all, every pending one.", 0, 0,
   OPT_ALL, 0, run_registration_purge},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* ------------------------------------------------------------ help */

static const char options_help[] =
  "Options:\n"
  "  -c, --config FILE        kcd.conf to use (default " KC_CONF_DEFAULT_PATH
  ")\n"
  "      --uri URI            LDAP URIs, instead of ldap_uri\n"
  "      --base DN            instead of ldap_base\n"
  "      --bind-dn DN         instead of ldap_bind_dn\n"
  "      --bind-pw-file FILE  instead of ldap_bind_pw_file\n"
  "      --json               print one JSON document on stdout\n"
  "  -v, --verbose            more detail on stderr\n"
  "  -h, --help               this help; with a command, its help\n";

static void
synopsis(FILE *f, const struct kc_admin_cli_cmd *c)
{
  fprintf(f, "  kcadm %s %s%s%s\n", c->group, c->name,
          c->synopsis[0] != '\0' ? " " : "", c->synopsis);
}

void
kc_admin_cli_usage(FILE *f)
{
  const char *group = "";
  size_t i;

  fputs("usage: kcadm [OPTIONS] COMMAND [ARGS]\n\n"
        "Manage the customers, accounts and pending registrations of the\n"
        "Kundencenter in LDAP, with kcd's configuration and service DN.\n",
        f);
  for (i = 0; i < NCOMMANDS; i++) {
    if (strcmp(group, commands[i].group) != 0) {
      group = commands[i].group;
      fprintf(f, "\n%s commands:\n", group);
    }
    synopsis(f, &commands[i]);
  }
  fprintf(f,
          "\n%s\nExit status: 0 success, 1 failure, 2 usage error.\n"
          "`kcadm COMMAND --help` describes a command.\n",
          options_help);
}

static void
group_usage(FILE *f, const char *group)
{
  size_t i;

  fprintf(f, "usage:\n");
  for (i = 0; i < NCOMMANDS; i++) {
    if (strcmp(commands[i].group, group) == 0)
      synopsis(f, &commands[i]);
  }
  fprintf(f, "\n`kcadm %s COMMAND --help` describes a command.\n", group);
}

static void
command_usage(FILE *f, const struct kc_admin_cli_cmd *c)
{
  fprintf(f, "usage:\n");
  synopsis(f, c);
  fprintf(f,
          "\n%s\n\n%s\nExit status: 0 success, 1 failure, 2 usage "
          "error.\n",
          c->help, options_help);
}

/* A usage error: one line, then where to look. */
static int
usage_error(const char *what, const char *detail, const char *hint)
{
  fprintf(stderr, "kcadm: %s%s%s\n", what, detail != NULL ? " " : "",
          detail != NULL ? detail : "");
  fprintf(stderr, "Try `kcadm %s--help'.\n", hint != NULL ? hint : "");
  return KC_ADMIN_EXIT_USAGE;
}

/* ------------------------------------------------------------ parsing */

enum {
  O_URI = 256,
  O_BASE,
  O_BIND_DN,
  O_BIND_PW_FILE,
  O_JSON,
  O_EMAIL,
  O_NAME,
  O_STRICT,
  O_CUSTOMER,
  O_USERNAME,
  O_TAN,
  O_MOBILE,
  O_FIRST,
  O_LAST,
  O_MAILPW,
  O_ALL,
  O_FORCE
};

static const struct option longopts[] = {
  {"config", required_argument, NULL, 'c'},
  {"uri", required_argument, NULL, O_URI},
  {"base", required_argument, NULL, O_BASE},
  {"bind-dn", required_argument, NULL, O_BIND_DN},
  {"bind-pw-file", required_argument, NULL, O_BIND_PW_FILE},
  {"json", no_argument, NULL, O_JSON},
  {"verbose", no_argument, NULL, 'v'},
  {"help", no_argument, NULL, 'h'},
  {"email", required_argument, NULL, O_EMAIL},
  {"name", required_argument, NULL, O_NAME},
  {"strict", no_argument, NULL, O_STRICT},
  {"customer", required_argument, NULL, O_CUSTOMER},
  {"username", required_argument, NULL, O_USERNAME},
  {"tan", required_argument, NULL, O_TAN},
  {"mobile", required_argument, NULL, O_MOBILE},
  {"first-name", required_argument, NULL, O_FIRST},
  {"last-name", required_argument, NULL, O_LAST},
  {"mail-password", no_argument, NULL, O_MAILPW},
  {"all", no_argument, NULL, O_ALL},
  {"force", no_argument, NULL, O_FORCE},
  {NULL, 0, NULL, 0},
};

/* Where each command option goes, and its bit. */
struct optslot {
  int val;
  unsigned bit;
  const char *name;
};

static const struct optslot optslots[] = {
  {O_EMAIL, OPT_EMAIL, "--email"},
  {O_NAME, OPT_NAME, "--name"},
  {O_STRICT, OPT_STRICT, "--strict"},
  {O_CUSTOMER, OPT_CUSTOMER, "--customer"},
  {O_USERNAME, OPT_USERNAME, "--username"},
  {O_TAN, OPT_TAN, "--tan"},
  {O_MOBILE, OPT_MOBILE, "--mobile"},
  {O_FIRST, OPT_FIRST, "--first-name"},
  {O_LAST, OPT_LAST, "--last-name"},
  {O_MAILPW, OPT_MAILPW, "--mail-password"},
  {O_ALL, OPT_ALL, "--all"},
  {O_FORCE, OPT_FORCE, "--force"},
};

#define NOPTSLOTS (sizeof(optslots) / sizeof(optslots[0]))

static const char **
value_slot(struct kc_admin_cli *cli, int val)
{
  switch (val) {
    case 'c':
      return &cli->global.config;
    case O_URI:
      return &cli->global.uri;
    case O_BASE:
      return &cli->global.base;
    case O_BIND_DN:
      return &cli->global.bind_dn;
    case O_BIND_PW_FILE:
      return &cli->global.bind_pw_file;
    case O_EMAIL:
      return &cli->email;
    case O_NAME:
      return &cli->name;
    case O_CUSTOMER:
      return &cli->customer;
    case O_USERNAME:
      return &cli->username;
    case O_TAN:
      return &cli->tan;
    case O_MOBILE:
      return &cli->mobile;
    case O_FIRST:
      return &cli->first_name;
    case O_LAST:
      return &cli->last_name;
    default:
      return NULL;
  }
}

static bool *
flag_slot(struct kc_admin_cli *cli, int val)
{
  switch (val) {
    case O_JSON:
      return &cli->global.json;
    case 'v':
      return &cli->global.verbose;
    case O_STRICT:
      return &cli->strict;
    case O_MAILPW:
      return &cli->mail_password;
    case O_ALL:
      return &cli->all;
    case O_FORCE:
      return &cli->force;
    default:
      return NULL;
  }
}

static unsigned
bit_of(int val)
{
  size_t i;

  for (i = 0; i < NOPTSLOTS; i++) {
    if (optslots[i].val == val)
      return optslots[i].bit;
  }
  return 0;
}

static const char *
option_name(int val)
{
  size_t i;

  for (i = 0; longopts[i].name != NULL; i++) {
    if (longopts[i].val == val)
      return longopts[i].name;
  }
  return "?";
}

/* Store one option; a value option given twice is an error. */
static int
take_option(struct kc_admin_cli *cli, int ch, const char *arg)
{
  const char **v = value_slot(cli, ch);
  bool *f = flag_slot(cli, ch);

  if (v != NULL) {
    if (*v != NULL)
      return usage_error("option given twice:", option_name(ch), NULL);
    *v = arg;
  } else if (f != NULL) {
    *f = true;
  } else {
    return KC_ADMIN_EXIT_USAGE;
  }
  cli->given |= bit_of(ch);
  return 0;
}

/* All options, wherever they stand (GNU getopt moves the words to the
 * end); *help tells whether --help was among them. */
static int
parse_options(int argc, char **argv, struct kc_admin_cli *cli, bool *help)
{
  int ch;

  opterr = 0;
  optind = 1;
  while ((ch = getopt_long(argc, argv, ":c:vh", longopts, NULL)) != -1) {
    if (ch == 'h')
      *help = true;
    else if (ch == '?')
      return usage_error("unknown option", argv[optind - 1], NULL);
    else if (ch == ':')
      return usage_error("option needs a value:", argv[optind - 1], NULL);
    else if (take_option(cli, ch, optarg) != 0)
      return KC_ADMIN_EXIT_USAGE;
  }
  return 0;
}

static const struct kc_admin_cli_cmd *
find_command(const char *group, const char *name, bool *group_known)
{
  size_t i;

  *group_known = false;
  for (i = 0; i < NCOMMANDS; i++) {
    if (strcmp(commands[i].group, group) != 0)
      continue;
    *group_known = true;
    if (name != NULL && strcmp(commands[i].name, name) == 0)
      return &commands[i];
  }
  return NULL;
}

/* Options the command does not take, and those it needs. */
static int
check_options(const struct kc_admin_cli *cli, char *hint)
{
  const struct kc_admin_cli_cmd *c = cli->cmd;
  size_t i;

  for (i = 0; i < NOPTSLOTS; i++) {
    if ((cli->given & optslots[i].bit) && !(c->opts & optslots[i].bit))
      return usage_error("this command takes no option", optslots[i].name,
                         hint);
    if ((c->required & optslots[i].bit) && !(cli->given & optslots[i].bit))
      return usage_error("this command needs the option", optslots[i].name,
                         hint);
  }
  return 0;
}

/* Words left after the options: GROUP COMMAND ARGS... -1 when there is
 * a command to run, else the exit status. */
static int
parse_words(int n, char **w, struct kc_admin_cli *cli, bool help)
{
  static char hint[64];
  bool known;
  int i;

  if (n == 0) {
    if (help) {
      kc_admin_cli_usage(stdout);
      return KC_ADMIN_EXIT_OK;
    }
    return usage_error("no command given", NULL, NULL);
  }
  cli->cmd = find_command(w[0], n > 1 ? w[1] : NULL, &known);
  if (!known)
    return usage_error("unknown command", w[0], NULL);
  snprintf(hint, sizeof(hint), "%s ", w[0]);
  if (cli->cmd == NULL && help) {
    group_usage(stdout, w[0]);
    return KC_ADMIN_EXIT_OK;
  }
  if (cli->cmd == NULL)
    return usage_error(n > 1 ? "unknown command" : "missing command after",
                       n > 1 ? w[1] : w[0], hint);
  if (help) {
    command_usage(stdout, cli->cmd);
    return KC_ADMIN_EXIT_OK;
  }
  snprintf(hint, sizeof(hint), "%s %s ", w[0], w[1]);
  if ((size_t) (n - 2) < cli->cmd->min_args ||
      (size_t) (n - 2) > cli->cmd->max_args)
    return usage_error("wrong number of arguments", NULL, hint);
  for (i = 2; i < n; i++)
    cli->arg[cli->nargs++] = w[i];
  return check_options(cli, hint) != 0 ? KC_ADMIN_EXIT_USAGE : -1;
}

int
kc_admin_cli_parse(int argc, char **argv, struct kc_admin_cli *cli)
{
  bool help = false;

  memset(cli, 0, sizeof(*cli));
  if (parse_options(argc, argv, cli, &help) != 0)
    return KC_ADMIN_EXIT_USAGE;
  if (argc - optind > 2 + KC_ADMIN_CLI_MAX_ARGS)
    return usage_error("too many arguments", NULL, NULL);
  return parse_words(argc - optind, argv + optind, cli, help);
}

int
kc_admin_cli_run(struct kc_admin *ad, const struct kc_admin_cli *cli)
{
  return cli->cmd->run(ad, cli);
}
