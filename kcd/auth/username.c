/*
 * username.c: the reserved-name list and the check whether a name is an
 * account of this host (username.h).
 */
#include <config.h>

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "kc_buf.h"
#include "kc_err.h"
#include "kc_limits.h"
#include "kc_str.h"
#include "username.h"

/* ------------------------------------------------------------ the list */

void
kc_username_list_init(struct kc_username_list *l)
{
  l->un_names = NULL;
  l->un_n = 0;
  l->un_cap = 0;
}

void
kc_username_list_free(struct kc_username_list *l)
{
  size_t i;

  for (i = 0; i < l->un_n; i++)
    free(l->un_names[i]);
  free(l->un_names);
  kc_username_list_init(l);
}

static int list_fail(char *err, size_t errlen, int code, const char *name,
                     unsigned line, const char *fmt, ...) KC_PRINTF(6, 7);

/* "name:line: message" (or "name: message" for line 0); returns code. */
static int
list_fail(char *err, size_t errlen, int code, const char *name, unsigned line,
          const char *fmt, ...)
{
  va_list ap;
  int n;

  if (err == NULL || errlen == 0)
    return code;
  n = line > 0 ? snprintf(err, errlen, "%s:%u: ", name, line)
               : snprintf(err, errlen, "%s: ", name);
  if (n < 0 || (size_t) n >= errlen)
    return code;
  va_start(ap, fmt);
  (void) vsnprintf(err + n, errlen - (size_t) n, fmt, ap);
  va_end(ap);
  return code;
}

static int
cmp_names(const void *a, const void *b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Append a copy of name, lower-cased. */
static int
list_add(struct kc_username_list *l, const char *name)
{
  char **grown, *copy;
  size_t cap;

  if (l->un_n == l->un_cap) {
    cap = l->un_cap == 0 ? 64 : 2 * l->un_cap;
    if ((grown = realloc(l->un_names, cap * sizeof(*grown))) == NULL)
      return KC_ERR_NOMEM;
    l->un_names = grown;
    l->un_cap = cap;
  }
  if ((copy = strdup(name)) == NULL)
    return KC_ERR_NOMEM;
  kc_str_lower_ascii(copy);
  l->un_names[l->un_n++] = copy;
  return 0;
}

/* One line without its LF: the name in it, or "" for none. 0, or
 * KC_ERR_INVALID / KC_ERR_TOO_LARGE with the reason in why. */
static int
parse_line(const char *p, size_t n, char *out, const char **why)
{
  const char *end;

  *why = NULL;
  out[0] = '\0';
  if (n > KC_MAX_RESERVED_LINE) {
    *why = "line too long";
    return KC_ERR_TOO_LARGE;
  }
  if (memchr(p, '\0', n) != NULL) {
    *why = "NUL byte";
    return KC_ERR_INVALID;
  }
  if ((end = memchr(p, '#', n)) != NULL)
    n = (size_t) (end - p);
  while (n > 0 && (*p == ' ' || *p == '\t')) {
    p++;
    n--;
  }
  while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
    n--;
  memcpy(out, p, n);
  out[n] = '\0';
  if (n > 0 && !kc_str_is_username(out)) {
    *why = "not a user name (letters, digits, \".\", \"_\", \"-\"; one a "
           "line)";
    return KC_ERR_INVALID;
  }
  return 0;
}

int
kc_username_list_parse(struct kc_username_list *l, const char *name,
                       const char *text, size_t len, char *err, size_t errlen)
{
  char word[KC_MAX_RESERVED_LINE + 1];
  const char *p = text, *nl, *why;
  unsigned line = 0;
  size_t n;
  int r = 0;

  kc_username_list_free(l);
  if (err != NULL && errlen > 0)
    err[0] = '\0';
  if (len > KC_MAX_RESERVED_FILE)
    return list_fail(err, errlen, KC_ERR_TOO_LARGE, name, 0,
                     "larger than %d bytes", KC_MAX_RESERVED_FILE);
  while (r == 0 && text != NULL && p < text + len) {
    line++;
    nl = memchr(p, '\n', (size_t) (text + len - p));
    n = nl != NULL ? (size_t) (nl - p) : (size_t) (text + len - p);
    if ((r = parse_line(p, n, word, &why)) != 0) {
      if (r == KC_ERR_TOO_LARGE)
        (void) list_fail(err, errlen, r, name, line,
                         "line longer than %d bytes", KC_MAX_RESERVED_LINE);
      else
        (void) list_fail(err, errlen, r, name, line, "%s", why);
    } else if (word[0] != '\0' && l->un_n >= KC_MAX_RESERVED_NAMES) {
      r = list_fail(err, errlen, KC_ERR_TOO_LARGE, name, line,
                    "more than %d names", KC_MAX_RESERVED_NAMES);
    } else if (word[0] != '\0' && list_add(l, word) != 0) {
      r = list_fail(err, errlen, KC_ERR_NOMEM, name, line, "out of memory");
    }
    if (nl == NULL)
      break;
    p = nl + 1;
  }
  if (r != 0) {
    kc_username_list_free(l);
    return r;
  }
  if (l->un_n > 1)
    qsort(l->un_names, l->un_n, sizeof(*l->un_names), cmp_names);
  return 0;
}

int
kc_username_list_load(struct kc_username_list *l, const char *path, char *err,
                      size_t errlen)
{
  struct kc_buf b;
  int r;

  kc_username_list_free(l);
  if ((r = kc_conf_read_file(path, &b, KC_MAX_RESERVED_FILE, err, errlen)) != 0)
    return r;
  r = kc_username_list_parse(l, path, kc_buf_get(&b), kc_buf_len(&b), err,
                             errlen);
  kc_buf_free(&b);
  return r;
}

bool
kc_username_is_reserved(const struct kc_username_list *l, const char *name)
{
  char key[KC_MAX_USERNAME + 1];
  const char *k = key;

  if (l->un_n == 0 || strlen(name) > KC_MAX_USERNAME)
    return false;
  memcpy(key, name, strlen(name) + 1);
  kc_str_lower_ascii(key);
  return bsearch(&k, l->un_names, l->un_n, sizeof(*l->un_names), cmp_names) !=
         NULL;
}

/* ------------------------------------------------------------ the host */

/* NSS: the name as it is. */
static enum kc_username_verdict
nss_lookup(const char *name)
{
  struct passwd pw, *res = NULL;
  char *buf = malloc(KC_MAX_PASSWD_ENTRY);
  int r;

  if (buf == NULL)
    return KC_USERNAME_UNCHECKED;
  r = getpwnam_r(name, &pw, buf, KC_MAX_PASSWD_ENTRY, &res);
  free(buf);
  if (res != NULL || r == ERANGE) /* too long to read, but there */
    return KC_USERNAME_LOCAL;
  /* getpwnam_r(3): these also mean "no such user" */
  if (r == 0 || r == ENOENT || r == ESRCH || r == EBADF || r == EPERM)
    return KC_USERNAME_FREE;
  return KC_USERNAME_UNCHECKED;
}

/* The passwd file as pam_localuser reads it: a line that starts with the
 * name and ':' (here in any case). Lines longer than the buffer are
 * skipped after their start was compared. */
static enum kc_username_verdict
file_lookup(const char *name, const char *path)
{
  char *buf = malloc(KC_MAX_PASSWD_ENTRY);
  size_t n = strlen(name);
  bool at_start = true, found = false, bad;
  FILE *f;

  if (buf == NULL)
    return KC_USERNAME_UNCHECKED;
  if ((f = fopen(path, "re")) == NULL) {
    free(buf);
    return KC_USERNAME_UNCHECKED;
  }
  while (!found && fgets(buf, KC_MAX_PASSWD_ENTRY, f) != NULL) {
    if (at_start && strncasecmp(buf, name, n) == 0 && buf[n] == ':')
      found = true;
    at_start = strchr(buf, '\n') != NULL;
  }
  bad = ferror(f) != 0;
  fclose(f);
  free(buf);
  if (found)
    return KC_USERNAME_LOCAL;
  return bad ? KC_USERNAME_UNCHECKED : KC_USERNAME_FREE;
}

enum kc_username_verdict
kc_username_local(const char *name, const char *passwd_file)
{
  char low[KC_MAX_USERNAME + 1];
  enum kc_username_verdict v, w;

  if (strlen(name) > KC_MAX_USERNAME)
    return KC_USERNAME_UNCHECKED;
  memcpy(low, name, strlen(name) + 1);
  kc_str_lower_ascii(low);
  v = nss_lookup(name);
  if (v != KC_USERNAME_LOCAL && strcmp(low, name) != 0) {
    w = nss_lookup(low);
    if (w != KC_USERNAME_FREE)
      v = w;
  }
  if (v != KC_USERNAME_LOCAL) {
    w = file_lookup(name, passwd_file);
    if (w != KC_USERNAME_FREE)
      v = w;
  }
  return v;
}

enum kc_username_verdict
kc_username_check(const struct kc_username_list *l, const char *name)
{
  if (l != NULL && kc_username_is_reserved(l, name))
    return KC_USERNAME_RESERVED;
  return kc_username_local(name, KC_USERNAME_PASSWD_FILE);
}

const char *
kc_username_verdict_text(enum kc_username_verdict v)
{
  switch (v) {
    case KC_USERNAME_FREE:
      return "is free";
    case KC_USERNAME_RESERVED:
      return "is reserved (reserved_usernames_file)";
    case KC_USERNAME_LOCAL:
      return "is an account of this host; a Kundencenter account of that "
             "name could log in as it";
    case KC_USERNAME_UNCHECKED:
    default:
      return "cannot be checked against this host's accounts (NSS or the "
             "passwd file failed)";
  }
}
