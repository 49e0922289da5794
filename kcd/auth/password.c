/*
 * password.c: password rules and the blocklist of common passwords.
 */
#include <config.h>

#include <ctype.h>
#include <semaphore.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "kc_err.h"
#include "kc_ldap.h"
#include "kc_limits.h"
#include "kc_str.h"
#include "kc_wipe.h"
#include "password.h"

/* Without a second factor a password stands alone: never below 12. */
#define KC_PASSWORD_MIN_WITHOUT_TAN 12
#define KC_PASSWORD_MIN_ABSOLUTE    8

/*
 * Common passwords of 8 or more characters (shorter ones fail on length
 * anyway), lower case, German and international, from published lists of
 * leaked passwords. Compared case-insensitively, also after stripping
 * trailing digits and symbols ("Passwort2024!" is "passwort").
 */
static const char *const blocklist[] = {
  "passwort",     "password",     "passwörter",     "kennwort",
  "geheimnis",    "geheim123",    "hallo123",       "hallohallo",
  "qwertzuiop",   "qwertyuiop",   "asdfghjkl",      "yxcvbnm",
  "12345678",     "123456789",    "1234567890",     "87654321",
  "11111111",     "00000000",     "abcdefgh",       "abcd1234",
  "iloveyou",     "sunshine",     "princess",       "football",
  "fussball",     "schalke04",    "borussia",       "bayernmuenchen",
  "bayern1900",   "dortmund09",   "letmein",        "welcome",
  "willkommen",   "baseball",     "superman",       "starwars",
  "trustno1",     "master",       "michael",        "jennifer",
  "computer",     "internet",     "sommer",         "winter",
  "frühling",     "fruehling",    "herbst",         "schatz",
  "schatzi",      "mausi",        "hase",           "liebe",
  "ichliebedich", "deutschland",  "berlin",         "hamburg",
  "muenchen",     "münchen",      "köln",           "koeln",
  "frankfurt",    "kundencenter", "kundennummer",   "abrechnung",
  "praxis",       "apotheke",     "physiotherapie", "pflegedienst",
  "gesundheit",   "krankenkasse", "admin",          "administrator",
  "changeme",     "qwerty123",    "passw0rd",       "p@ssw0rd",
  "p@ssword",     "pa55word",     "1q2w3e4r",       "1qaz2wsx",
  "zaq12wsx",     "q1w2e3r4",     "aaaaaaaa",       "qwertz123",
  "test1234",     "testtest",     "benutzer",       "anmeldung",
  "zugang",       "sicherheit",   "dragon",         "monkey",
  "shadow",       "whatever",     "freedom",        "blahblah",
  "lovely",       "charlie",      "thomas",         "andreas",
  "stefan",       "daniel",       "alexander",      "christian",
  "matthias",     "sabine",       "nicole",         "stefanie",
  "katharina",    "januar",       "februar",        "dezember",
  "montag",       "freitag",      "sonntag",
};

static bool
blocked(const char *pw)
{
  char base[KC_MAX_PASSWORD + 1];
  size_t len = strlen(pw), i;
  bool hit = false;

  if (len > KC_MAX_PASSWORD)
    return false;
  memcpy(base, pw, len + 1);
  /* strip trailing digits and symbols */
  while (len > 0 && !isalpha((unsigned char) base[len - 1]) &&
         (unsigned char) base[len - 1] < 0x80)
    base[--len] = '\0';
  for (i = 0; !hit && i < sizeof(blocklist) / sizeof(blocklist[0]); i++)
    hit = strcasecmp(pw, blocklist[i]) == 0 ||
          (len > 0 && strcasecmp(base, blocklist[i]) == 0);
  kc_wipe(base, sizeof(base)); /* a copy of the new password */
  return hit;
}

unsigned
kc_password_min_length(unsigned configured, bool has_tan)
{
  unsigned min = configured;

  if (!has_tan && min < KC_PASSWORD_MIN_WITHOUT_TAN)
    min = KC_PASSWORD_MIN_WITHOUT_TAN;
  if (min < KC_PASSWORD_MIN_ABSOLUTE)
    min = KC_PASSWORD_MIN_ABSOLUTE;
  return min;
}

/* Length in characters (UTF-8 code points), not bytes. */
static size_t
chars(const char *s)
{
  size_t n = 0;

  for (; *s != '\0'; s++)
    if (((unsigned char) *s & 0xc0) != 0x80)
      n++;
  return n;
}

enum kc_password_problem
kc_password_check(const char *pw, const char *user, const char *customer,
                  unsigned configured_min, bool has_tan)
{
  size_t len = strlen(pw);

  if (!kc_str_is_utf8(pw, len))
    return KC_PW_NOT_UTF8;
  if (chars(pw) < kc_password_min_length(configured_min, has_tan))
    return KC_PW_TOO_SHORT;
  if (len > KC_MAX_PASSWORD)
    return KC_PW_TOO_LONG;
  if (user[0] != '\0' && strcasecmp(pw, user) == 0)
    return KC_PW_IS_USERNAME;
  if (customer[0] != '\0' && strcmp(pw, customer) == 0)
    return KC_PW_IS_CUSTOMER;
  if (blocked(pw))
    return KC_PW_COMMON;
  return KC_PW_OK;
}

/* ---------------------------------------------------------- dummy work */

/* Hash that unknown users are verified against; same cost parameters as
 * the hashes kcd and kcadm write (argon2id, libsodium "interactive"). It is
 * the hash of 40 random characters that were thrown away: no password
 * matches it. Shipping it instead of making it at start-up spares kcd
 * 64 MiB of peak memory and a tenth of a second before the first login;
 * kc_handler_global_init() checks that its parameters are still what
 * libsodium calls interactive, and makes a fresh one if not. */
static const char dummy_fixed[] =
  "$argon2id$v=19$m=65536,t=2,p=1$H6/dLHQFl4nYPYXkVL8xGw$"
  "6APk23/IuPVEFSTwyKxgIODN6gzJXShtj6oRUGQOhGw";
static char dummy_hash[crypto_pwhash_STRBYTES];
/* The cost of new hashes (kc_password_set_cost). */
static unsigned long long hash_ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
static size_t hash_mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;

void
kc_password_set_cost(unsigned m_kib, unsigned t)
{
  hash_mem = (size_t) m_kib * 1024;
  hash_ops = t;
}

void
kc_password_cost(unsigned *m_kib, unsigned *t)
{
  *m_kib = (unsigned) (hash_mem / 1024);
  *t = (unsigned) hash_ops;
}
/* Dummy verifications running at once: one per two CPUs (at least one),
 * at most KC_DUMMY_MAX_PARALLEL. Each takes 64 MiB and a core for about
 * 0.1 s; a flood of unknown user names or of wrong passwords for a locked
 * account must not take kcd's memory, nor the cores that slapd needs for
 * the real users' binds (bench_fair.sh: with one per CPU such a flood
 * from 16 clients made a real user's logins 2.4 times as slow on two
 * cores). Beyond that they wait, which only slows the flood down. */
static sem_t dummy_sem;

int
kc_password_dummy_init(void)
{
  unsigned char pw[16];
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  int r = 0;

  cpus = (cpus + 1) / 2;
  if (cpus < 1)
    cpus = 1;
  if (cpus > KC_DUMMY_MAX_PARALLEL)
    cpus = KC_DUMMY_MAX_PARALLEL;
  if (sem_init(&dummy_sem, 0, (unsigned) cpus) != 0)
    return KC_ERR_SYSTEM;
  _Static_assert(sizeof(dummy_fixed) <= sizeof(dummy_hash), "dummy hash");
  memcpy(dummy_hash, dummy_fixed, sizeof(dummy_fixed));
  /* the dummy costs what the accounts' hashes cost */
  if (crypto_pwhash_str_needs_rehash(dummy_hash, hash_ops, hash_mem) != 0) {
    randombytes_buf(pw, sizeof(pw));
    r = crypto_pwhash_str(dummy_hash, (const char *) pw, sizeof(pw), hash_ops,
                          hash_mem);
    sodium_memzero(pw, sizeof(pw));
  }
  return r == 0 ? 0 : KC_ERR_NOMEM;
}

void
kc_password_dummy_verify(const char *password)
{
  struct timespec t0, t1, rest;
  long long spent_ms, want_ms;
  int r;

  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (sem_wait(&dummy_sem) != 0) /* EINTR only */
    ;
  /* Only the work counts: the hash is of bytes nobody knows, and the
   * caller fails the login whatever the result. */
  r = crypto_pwhash_str_verify(dummy_hash, password, strlen(password));
  (void) r;
  sem_post(&dummy_sem);
  /* slapd's argon2 may be slower than libsodium's (or the directory
   * farther away): wait out the rest of what a real bind takes lately */
  clock_gettime(CLOCK_MONOTONIC, &t1);
  spent_ms = (long long) (t1.tv_sec - t0.tv_sec) * 1000 +
             (t1.tv_nsec - t0.tv_nsec) / 1000000;
  want_ms = kc_ldap_bind_typical_ms();
  if (want_ms > KC_DUMMY_MAX_PAD_MS)
    want_ms = KC_DUMMY_MAX_PAD_MS;
  if (want_ms > spent_ms) {
    rest.tv_sec = (time_t) ((want_ms - spent_ms) / 1000);
    rest.tv_nsec = (long) ((want_ms - spent_ms) % 1000) * 1000000L;
    while (nanosleep(&rest, &rest) != 0) /* EINTR: the rest */
      ;
  }
}

/* ------------------------------------------------------ texts and hash */

static const char *const problem_texts[][2] = {
  [KC_PW_OK] = {"", ""},
  [KC_PW_TOO_SHORT] = {"Das Passwort ist zu kurz.",
                       "The password is too short."},
  [KC_PW_TOO_LONG] = {"Das Passwort ist zu lang.", "The password is too long."},
  [KC_PW_COMMON] = {"Dieses Passwort ist zu verbreitet. Bitte wählen "
                    "Sie ein anderes.",
                    "This password is too common. Please choose another one."},
  [KC_PW_IS_USERNAME] = {"Das Passwort darf nicht dem Benutzernamen "
                         "entsprechen.",
                         "The password must not equal the user name."},
  [KC_PW_IS_CUSTOMER] = {"Das Passwort darf nicht der Kundennummer "
                         "entsprechen.",
                         "The password must not equal the customer number."},
  [KC_PW_NOT_UTF8] = {"Das Passwort enthält ungültige Zeichen.",
                      "The password contains invalid characters."},
};

const char *
kc_password_problem_text(enum kc_password_problem p, bool english)
{
  size_t i = (size_t) p;

  if (i >= sizeof(problem_texts) / sizeof(problem_texts[0]))
    i = KC_PW_NOT_UTF8;
  return problem_texts[i][english ? 1 : 0];
}

int
kc_password_hash(struct kc_buf *out, const char *pw)
{
  char hash[crypto_pwhash_STRBYTES];
  int r;

  kc_buf_init(out, 256);
  if (crypto_pwhash_str(hash, pw, strlen(pw), hash_ops, hash_mem) != 0) {
    sodium_memzero(hash, sizeof(hash));
    return KC_ERR_NOMEM;
  }
  r = kc_buf_printf(out, "{ARGON2}%s", hash);
  sodium_memzero(hash, sizeof(hash));
  return r;
}
