/*
 * kc-pamtest: drive a PAM service through the real libpam, with a
 * conversation that behaves like a given application, and check the
 * result of each step. No root and no pam_wrapper: the service file is
 * read from --confdir with pam_start_confdir() (Linux-PAM >= 1.4).
 *
 * Usage:
 *   kc-pamtest --confdir DIR --service NAME --user USER
 *              [--conv sshd|password|apache] [--rhost HOST]
 *              [--answer TEXT]... [--answers FILE] [--tan-cmd CMD]
 *              [--silent] [--disallow-null] [--expired]
 *              [--steps auth,acct,chauthtok,setcred,open,close,env,
 *                       user:NAME]
 *              [--expect STEP=PAM_CODE,...]
 *
 * Conversations:
 *   sshd      keyboard-interactive: every ECHO_OFF/ECHO_ON prompt takes
 *             the next answer (from --answer in order, then --answers,
 *             one per line); a prompt whose last line starts with "TAN"
 *             or "Code aus der" (the authenticator app)
 *             takes the first line printed by --tan-cmd (run with sh -c)
 *             when one is given; TEXT_INFO/ERROR_MSG are printed.
 *   password  sshd PasswordAuthentication: every ECHO_OFF prompt gets
 *             the first answer, ECHO_ON fails; messages are printed.
 *   apache    mod_authnz_pam: in each conversation call the first
 *             ECHO_OFF gets the first answer, later ones NULL; ECHO_ON,
 *             TEXT_INFO and ERROR_MSG fail the call with PAM_CONV_ERR.
 *             Flags PAM_SILENT|PAM_DISALLOW_NULL_AUTHTOK; PAM_RHOST is
 *             set (127.0.0.1 unless --rhost).
 *
 * Output, one line each: "conv: <STYLE> <text>" for every message seen,
 * "<step>=<PAM_CODE> ms=<elapsed>" for every step, then "kc-pamtest: ok"
 * or a "kc-pamtest: FAIL ..." line per unmet expectation. --expect takes
 * STEP=CODE (every run of STEP) or STEP#N=CODE (the N-th run). Every
 * step runs, whatever the one before returned; the step user:NAME sets
 * PAM_USER, as an application that switches users would. The step env
 * prints the handle's PAM environment (pam_getenvlist), one line
 * "env: NAME=VALUE" per variable, "env: (none)" when it is empty.
 *
 * Exit status: 0 when every expectation holds, 1 otherwise, 2 for usage
 * errors, 77 when --confdir is given but libpam lacks pam_start_confdir()
 * (without --confdir the service comes from the system, e.g. through
 * pam_wrapper).
 *
 * A test tool: answers are test passwords, yet they are wiped all the
 * same when the program ends.
 */
#include <config.h>

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

#include "kc_io.h"
#include "kc_wipe.h"

#define MAX_ANSWERS 32
#define MAX_STEPS 16
#define MAX_EXPECT 16
#define MAX_LINE 1024

enum conv_kind {
  CONV_SSHD = 0,
  CONV_PASSWORD,
  CONV_APACHE
};

struct expect {
  char step[32];
  int nth; /* 0: every run */
  int code;
};

struct opts {
  const char *confdir;
  const char *service;
  const char *user;
  const char *rhost;
  const char *tan_cmd;
  enum conv_kind conv;
  int flags;
  int chauthtok_flags;
  char *answers[MAX_ANSWERS];
  size_t nanswers;
  size_t next; /* next answer for the sshd conversation */
  const char *steps[MAX_STEPS];
  size_t nsteps;
  struct expect expect[MAX_EXPECT];
  size_t nexpect;
};

static const struct {
  int code;
  const char *name;
} pam_codes[] = {
#define C(x) {x, #x}
  C(PAM_SUCCESS), C(PAM_OPEN_ERR), C(PAM_SYMBOL_ERR), C(PAM_SERVICE_ERR),
  C(PAM_SYSTEM_ERR), C(PAM_BUF_ERR), C(PAM_PERM_DENIED), C(PAM_AUTH_ERR),
  C(PAM_CRED_INSUFFICIENT), C(PAM_AUTHINFO_UNAVAIL), C(PAM_USER_UNKNOWN),
  C(PAM_MAXTRIES), C(PAM_NEW_AUTHTOK_REQD), C(PAM_ACCT_EXPIRED),
  C(PAM_SESSION_ERR), C(PAM_CRED_UNAVAIL), C(PAM_CRED_EXPIRED),
  C(PAM_CRED_ERR), C(PAM_NO_MODULE_DATA), C(PAM_CONV_ERR),
  C(PAM_AUTHTOK_ERR), C(PAM_AUTHTOK_RECOVERY_ERR), C(PAM_AUTHTOK_LOCK_BUSY),
  C(PAM_AUTHTOK_DISABLE_AGING), C(PAM_TRY_AGAIN), C(PAM_IGNORE), C(PAM_ABORT),
  C(PAM_AUTHTOK_EXPIRED), C(PAM_MODULE_UNKNOWN), C(PAM_BAD_ITEM),
  C(PAM_CONV_AGAIN), C(PAM_INCOMPLETE),
#undef C
};

static const char *
code_name(int code)
{
  size_t i;

  for (i = 0; i < sizeof(pam_codes) / sizeof(pam_codes[0]); i++)
    if (pam_codes[i].code == code)
      return pam_codes[i].name;
  return "PAM_?";
}

static int
code_of(const char *name)
{
  size_t i;

  for (i = 0; i < sizeof(pam_codes) / sizeof(pam_codes[0]); i++)
    if (strcmp(pam_codes[i].name, name) == 0)
      return pam_codes[i].code;
  return -1;
}

static void
usage(void)
{
  fputs("usage: kc-pamtest --confdir DIR --service NAME --user USER\n"
        "  [--conv sshd|password|apache] [--rhost HOST] [--answer TEXT]...\n"
        "  [--answers FILE] [--tan-cmd CMD] [--silent] [--disallow-null]\n"
        "  [--expired] [--steps auth,acct,chauthtok,setcred,open,close,env,\n"
        "   user:NAME]\n"
        "  [--expect STEP[#N]=PAM_CODE,...]\n",
    stderr);
  exit(2);
}

/* ------------------------------------------------------------ answers */

static void
add_answer(struct opts *o, const char *s)
{
  if (o->nanswers == MAX_ANSWERS || (o->answers[o->nanswers] = strdup(s)) ==
    NULL) {
    fputs("kc-pamtest: too many answers\n", stderr);
    exit(2);
  }
  o->nanswers++;
}

static void
strip_newline(char *s)
{
  size_t n = strlen(s);

  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
    s[--n] = '\0';
}

static void
read_answers(struct opts *o, const char *path)
{
  char line[MAX_LINE];
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");

  if (f == NULL) {
    perror(path);
    exit(2);
  }
  while (fgets(line, sizeof(line), f) != NULL) {
    strip_newline(line);
    add_answer(o, line);
  }
  kc_wipe(line, sizeof(line));
  if (f != stdin)
    fclose(f);
}

static void
wipe_answers(struct opts *o)
{
  size_t i;

  for (i = 0; i < o->nanswers; i++)
    kc_wipe_free_str(o->answers[i]);
  o->nanswers = 0;
}

/* First line of what cmd prints, or NULL. */
static char *
run_tan_cmd(const char *cmd)
{
  char line[MAX_LINE];
  char *tan = NULL;
  FILE *p;

  fflush(stdout);
  if ((p = popen(cmd, "r")) == NULL)
    return NULL;
  if (fgets(line, sizeof(line), p) != NULL) {
    strip_newline(line);
    tan = strdup(line);
  }
  while (fgets(line, sizeof(line), p) != NULL)
    ;
  kc_wipe(line, sizeof(line));
  if (pclose(p) != 0) {
    kc_wipe_free_str(tan);
    tan = NULL;
  }
  return tan;
}

/* ------------------------------------------------------------ conversations */

static const char *
style_name(int style)
{
  switch (style) {
    case PAM_PROMPT_ECHO_OFF:
      return "PROMPT_ECHO_OFF";
    case PAM_PROMPT_ECHO_ON:
      return "PROMPT_ECHO_ON";
    case PAM_ERROR_MSG:
      return "ERROR_MSG";
    case PAM_TEXT_INFO:
      return "TEXT_INFO";
    default:
      return "?";
  }
}

/* Does the last line of a prompt ask for the TAN? */
static bool
asks_tan(const char *msg)
{
  const char *last = strrchr(msg, '\n');

  msg = last != NULL ? last + 1 : msg;
  return strncmp(msg, "TAN", 3) == 0 || strncmp(msg, "Code aus der", 12) == 0;
}

static char *
sshd_answer(struct opts *o, const struct pam_message *m)
{
  if (m->msg_style != PAM_PROMPT_ECHO_OFF && m->msg_style != PAM_PROMPT_ECHO_ON)
    return NULL;
  if (o->tan_cmd != NULL && asks_tan(m->msg))
    return run_tan_cmd(o->tan_cmd);
  if (o->next >= o->nanswers)
    return NULL;
  return strdup(o->answers[o->next++]);
}

/* One message: 0 and *resp (maybe NULL), or -1 to fail the call. */
static int
answer_one(struct opts *o, const struct pam_message *m, int nth_off,
  char **resp)
{
  bool prompt = m->msg_style == PAM_PROMPT_ECHO_OFF ||
    m->msg_style == PAM_PROMPT_ECHO_ON;

  *resp = NULL;
  switch (o->conv) {
    case CONV_APACHE:
      if (m->msg_style != PAM_PROMPT_ECHO_OFF)
        return -1;
      if (nth_off == 0 && o->nanswers > 0)
        *resp = strdup(o->answers[0]);
      return 0;
    case CONV_PASSWORD:
      if (m->msg_style == PAM_PROMPT_ECHO_ON)
        return -1;
      if (prompt && o->nanswers > 0)
        *resp = strdup(o->answers[0]);
      return 0;
    default:
      *resp = sshd_answer(o, m);
      return prompt && *resp == NULL ? -1 : 0;
  }
}

static void
free_responses(struct pam_response *r, int n)
{
  int i;

  for (i = 0; i < n; i++)
    kc_wipe_free_str(r[i].resp);
  free(r);
}

static int
conv(int n, const struct pam_message **msg, struct pam_response **out,
  void *data)
{
  struct opts *o = data;
  struct pam_response *r;
  int i, off = 0;

  *out = NULL;
  if (n <= 0 || n > PAM_MAX_NUM_MSG || (r = calloc((size_t) n, sizeof(*r))) ==
    NULL)
    return PAM_CONV_ERR;
  for (i = 0; i < n; i++) {
    printf("conv: %s %s\n", style_name(msg[i]->msg_style), msg[i]->msg);
    if (answer_one(o, msg[i], off, &r[i].resp) != 0) {
      printf("conv: failing the conversation\n");
      free_responses(r, n);
      return PAM_CONV_ERR;
    }
    if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
      off++;
  }
  *out = r;
  return PAM_SUCCESS;
}

/* ------------------------------------------------------------ steps */

static const char *const step_names[] = {"auth", "acct", "chauthtok",
  "setcred", "open", "close", "env"};

/* The env step: print the PAM environment, then free it. */
static int
print_env(pam_handle_t *pamh)
{
  char **env = pam_getenvlist(pamh);
  size_t i;

  if (env == NULL)
    return PAM_BUF_ERR;
  if (env[0] == NULL)
    printf("env: (none)\n");
  for (i = 0; env[i] != NULL; i++) {
    printf("env: %s\n", env[i]);
    free(env[i]);
  }
  free(env);
  return PAM_SUCCESS;
}

static bool
is_step(const char *s)
{
  size_t i;

  if (strncmp(s, "user:", 5) == 0 && s[5] != '\0')
    return true;
  for (i = 0; i < sizeof(step_names) / sizeof(step_names[0]); i++)
    if (strcmp(step_names[i], s) == 0)
      return true;
  return false;
}

static int
run_step(pam_handle_t *pamh, const struct opts *o, const char *step)
{
  if (strcmp(step, "auth") == 0)
    return pam_authenticate(pamh, o->flags);
  if (strcmp(step, "acct") == 0)
    return pam_acct_mgmt(pamh, o->flags);
  if (strcmp(step, "chauthtok") == 0)
    return pam_chauthtok(pamh, o->flags | o->chauthtok_flags);
  if (strcmp(step, "setcred") == 0)
    return pam_setcred(pamh, o->flags | PAM_ESTABLISH_CRED);
  if (strcmp(step, "open") == 0)
    return pam_open_session(pamh, o->flags);
  if (strcmp(step, "close") == 0)
    return pam_close_session(pamh, o->flags);
  if (strcmp(step, "env") == 0)
    return print_env(pamh);
  if (strncmp(step, "user:", 5) == 0)
    return pam_set_item(pamh, PAM_USER, step + 5);
  return -1;
}

/* How many expectations step (its nth run) breaks; prints each. */
static int
check_step(const struct opts *o, const char *step, int nth, int rc)
{
  const struct expect *e;
  int bad = 0;
  size_t i;

  for (i = 0; i < o->nexpect; i++) {
    e = &o->expect[i];
    if (strcmp(e->step, step) != 0 || (e->nth != 0 && e->nth != nth) ||
      e->code == rc)
      continue;
    printf("kc-pamtest: FAIL %s#%d expected %s got %s\n", step, nth,
      code_name(e->code), code_name(rc));
    bad++;
  }
  return bad;
}

static int
count_runs(const struct opts *o, size_t upto, const char *step)
{
  size_t i;
  int n = 0;

  for (i = 0; i <= upto; i++)
    if (strcmp(o->steps[i], step) == 0)
      n++;
  return n;
}

static int
run_steps(pam_handle_t *pamh, struct opts *o)
{
  int64_t t0;
  int rc, bad = 0;
  size_t i;

  for (i = 0; i < o->nsteps; i++) {
    t0 = kc_io_now_ms();
    rc = run_step(pamh, o, o->steps[i]);
    printf("%s=%s ms=%lld\n", o->steps[i], code_name(rc),
      (long long) (kc_io_now_ms() - t0));
    fflush(stdout);
    bad += check_step(o, o->steps[i], count_runs(o, i, o->steps[i]), rc);
  }
  return bad;
}

/* ------------------------------------------------------------ options */

static void
parse_steps(struct opts *o, char *list)
{
  char *save = NULL, *s;

  for (s = strtok_r(list, ",", &save); s != NULL;
       s = strtok_r(NULL, ",", &save)) {
    if (o->nsteps == MAX_STEPS || !is_step(s)) {
      fprintf(stderr, "kc-pamtest: bad step %s\n", s);
      exit(2);
    }
    o->steps[o->nsteps++] = s;
  }
}

static void
parse_one_expect(struct opts *o, char *s)
{
  struct expect *e = &o->expect[o->nexpect];
  char *eq = strchr(s, '='), *hash;

  if (o->nexpect == MAX_EXPECT || eq == NULL)
    usage();
  *eq = '\0';
  if ((hash = strchr(s, '#')) != NULL) {
    *hash = '\0';
    e->nth = (int) strtol(hash + 1, NULL, 10);
  }
  if (snprintf(e->step, sizeof(e->step), "%s", s) >= (int) sizeof(e->step) ||
    (e->code = code_of(eq + 1)) < 0) {
    fprintf(stderr, "kc-pamtest: bad expectation %s=%s\n", s, eq + 1);
    exit(2);
  }
  o->nexpect++;
}

static void
parse_expect(struct opts *o, char *list)
{
  char *save = NULL, *s;

  for (s = strtok_r(list, ",", &save); s != NULL;
       s = strtok_r(NULL, ",", &save))
    parse_one_expect(o, s);
}

static enum conv_kind
parse_conv(const char *s)
{
  if (strcmp(s, "sshd") == 0)
    return CONV_SSHD;
  if (strcmp(s, "password") == 0)
    return CONV_PASSWORD;
  if (strcmp(s, "apache") == 0)
    return CONV_APACHE;
  usage();
  return CONV_SSHD;
}

static const struct option longopts[] = {
  {"confdir", required_argument, NULL, 'c'},
  {"service", required_argument, NULL, 's'},
  {"user", required_argument, NULL, 'u'},
  {"conv", required_argument, NULL, 'C'},
  {"rhost", required_argument, NULL, 'r'},
  {"answer", required_argument, NULL, 'a'},
  {"answers", required_argument, NULL, 'A'},
  {"tan-cmd", required_argument, NULL, 't'},
  {"silent", no_argument, NULL, 'S'},
  {"disallow-null", no_argument, NULL, 'N'},
  {"expired", no_argument, NULL, 'E'},
  {"steps", required_argument, NULL, 'p'},
  {"expect", required_argument, NULL, 'e'},
  {NULL, 0, NULL, 0},
};

static void
parse_args(struct opts *o, int argc, char **argv)
{
  int c;

  while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
    switch (c) {
      case 'c':
        o->confdir = optarg;
        break;
      case 's':
        o->service = optarg;
        break;
      case 'u':
        o->user = optarg;
        break;
      case 'C':
        o->conv = parse_conv(optarg);
        break;
      case 'r':
        o->rhost = optarg;
        break;
      case 'a':
        add_answer(o, optarg);
        break;
      case 'A':
        read_answers(o, optarg);
        break;
      case 't':
        o->tan_cmd = optarg;
        break;
      case 'S':
        o->flags |= PAM_SILENT;
        break;
      case 'N':
        o->flags |= PAM_DISALLOW_NULL_AUTHTOK;
        break;
      case 'E':
        o->chauthtok_flags |= PAM_CHANGE_EXPIRED_AUTHTOK;
        break;
      case 'p':
        parse_steps(o, optarg);
        break;
      case 'e':
        parse_expect(o, optarg);
        break;
      default:
        usage();
    }
  }
  if (optind != argc || o->service == NULL || o->user == NULL)
    usage();
}

/* ------------------------------------------------------------ main */

static int
start(struct opts *o, const struct pam_conv *pc, pam_handle_t **pamh)
{
  /* pam_wrapper wraps pam_start() only: use it without --confdir. */
  if (o->confdir == NULL)
    return pam_start(o->service, o->user, pc, pamh);
#ifdef HAVE_PAM_START_CONFDIR
  return pam_start_confdir(o->service, o->user, pc, o->confdir, pamh);
#else
  /* Never fall back to the system's /etc/pam.d silently. */
  puts("kc-pamtest: this libpam has no pam_start_confdir(); skipping");
  exit(77);
#endif
}

int
main(int argc, char **argv)
{
  static char default_steps[] = "auth";
  struct opts o = {0};
  struct pam_conv pc = {conv, &o};
  pam_handle_t *pamh = NULL;
  int rc, bad;

  parse_args(&o, argc, argv);
  if (o.nsteps == 0)
    parse_steps(&o, default_steps);
  if (o.conv == CONV_APACHE) {
    o.flags |= PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK;
    if (o.rhost == NULL)
      o.rhost = "127.0.0.1";
  }
  if ((rc = start(&o, &pc, &pamh)) != PAM_SUCCESS) {
    printf("kc-pamtest: FAIL pam_start: %s\n", code_name(rc));
    wipe_answers(&o);
    return 1;
  }
  if (o.rhost != NULL)
    (void) pam_set_item(pamh, PAM_RHOST, o.rhost);
  bad = run_steps(pamh, &o);
  pam_end(pamh, PAM_SUCCESS);
  wipe_answers(&o);
  if (bad == 0)
    printf("kc-pamtest: ok\n");
  return bad == 0 ? 0 : 1;
}
