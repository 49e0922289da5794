/*
 * kc_wire.c: encoder and strict decoder of the PAM-socket protocol
 * (kc_proto.h is the specification). The only file that touches bytes.
 */
#include <config.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "kc_err.h"
#include "kc_proto.h"
#include "kc_str.h"
#include "kc_wipe.h"

/* Field identifiers, in the order they may appear on the wire. */
enum field {
  F_END = 0,
  F_USER,
  F_PASSWORD,
  F_NEW_PASSWORD,
  F_CHALLENGE,
  F_TAN,
  F_SERVICE,
  F_RHOST,
  F_FLAGS
};

#define MAX_FIELDS 6

struct op_layout {
  uint16_t op;
  const char *name;
  enum field fields[MAX_FIELDS];
};

static const struct op_layout layouts[] = {
  {KC_OP_AUTH, "AUTH", {F_USER, F_PASSWORD, F_SERVICE, F_RHOST, F_FLAGS}},
  {KC_OP_TAN, "TAN", {F_USER, F_CHALLENGE, F_TAN, F_SERVICE, F_RHOST}},
  {KC_OP_ACCT, "ACCT", {F_USER, F_SERVICE, F_RHOST}},
  {KC_OP_CHAUTHTOK,
   "CHAUTHTOK",
   {F_USER, F_PASSWORD, F_NEW_PASSWORD, F_CHALLENGE, F_SERVICE, F_RHOST}},
  {KC_OP_PING, "PING", {F_END}},
};

static const struct op_layout *
layout_of(uint16_t op)
{
  size_t i;

  for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
    if (layouts[i].op == op)
      return &layouts[i];
  return NULL;
}

const char *
kc_proto_op_name(uint16_t op)
{
  const struct op_layout *l = layout_of(op);

  if (op == KC_OP_ERROR)
    return "ERROR";
  return l != NULL ? l->name : "?";
}

const char *
kc_proto_result_name(uint32_t result)
{
  static const char *names[] =
    {"OK",           "AUTH_ERR",         "USER_UNKNOWN",
     "TAN_REQUIRED", "NEW_AUTHTOK_REQD", "LOCKED",
     "EXPIRED",      "AUTHTOK_ERR",      "MAXTRIES",
     "UNAVAILABLE",  "PROTOCOL",         "RATE_LIMITED",
     "VERSION",      "INTERNAL"};

  if (result > KC_RES_LAST)
    return "?";
  return names[result];
}

/* Where each string field lives in struct kc_proto_request, and its cap. */
static const struct {
  enum field f;
  size_t off;
  size_t cap;
} slots[] = {
  {F_USER, offsetof(struct kc_proto_request, user), KC_MAX_USERNAME},
  {F_PASSWORD, offsetof(struct kc_proto_request, password),
   KC_PROTO_MAX_SECRET},
  {F_NEW_PASSWORD, offsetof(struct kc_proto_request, new_password),
   KC_MAX_PASSWORD},
  {F_CHALLENGE, offsetof(struct kc_proto_request, challenge), KC_MAX_TOKEN},
  {F_TAN, offsetof(struct kc_proto_request, tan), KC_MAX_FACTOR_ANSWER},
  {F_SERVICE, offsetof(struct kc_proto_request, service), KC_MAX_SERVICE},
  {F_RHOST, offsetof(struct kc_proto_request, rhost), KC_MAX_RHOST},
};
#define NSLOTS (sizeof(slots) / sizeof(slots[0]))

static size_t
slot_index(enum field f)
{
  size_t i;

  for (i = 0; i < NSLOTS; i++)
    if (slots[i].f == f)
      return i;
  return NSLOTS;
}

static char **
req_slot(struct kc_proto_request *r, size_t i)
{
  return (char **) (void *) ((char *) r + slots[i].off);
}

static const char *
req_value(const struct kc_proto_request *r, size_t i)
{
  return *(char *const *) (const void *) ((const char *) r + slots[i].off);
}

/* ------------------------------------------------------------ identity */

int
kc_proto_customer_cmp(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);

  if (la != lb)
    return la < lb ? -1 : 1;
  return strcmp(a, b);
}

bool
kc_proto_customers_ok(const char *list)
{
  char prev[KC_MAX_CUSTOMER_NUMBER + 1] = "", cur[KC_MAX_CUSTOMER_NUMBER + 1];
  const char *p = list, *comma;
  size_t len;

  if (*p == '\0')
    return true;
  if (strlen(list) > KC_MAX_CUSTOMER_LIST)
    return false;
  for (;;) {
    comma = strchr(p, ',');
    len = comma != NULL ? (size_t) (comma - p) : strlen(p);
    if (len == 0 || len > KC_MAX_CUSTOMER_NUMBER)
      return false;
    memcpy(cur, p, len);
    cur[len] = '\0';
    if (!kc_str_is_customer_number(cur) ||
        (prev[0] != '\0' && kc_proto_customer_cmp(prev, cur) >= 0))
      return false;
    if (comma == NULL)
      return true;
    memcpy(prev, cur, len + 1);
    p = comma + 1;
  }
}

static bool
is_one_of(const char *s, const char *const *words)
{
  for (; *words != NULL; words++)
    if (strcmp(s, *words) == 0)
      return true;
  return false;
}

static const char *
or_empty(const char *s)
{
  return s != NULL ? s : "";
}

/* The identity fields of a reply: all empty, or complete and well-formed
 * in a success of AUTH or TAN; a TAN_REQUIRED names only the method it
 * asks for (kc_proto.h). */
static bool
identity_ok(const struct kc_proto_reply *rep)
{
  static const char *const roles[] = {"admin", "user", NULL};
  static const char *const methods[] = {"none", "email", "mtan", "totp", NULL};
  static const char *const asked[] = {"email", "mtan", "totp", NULL};
  const char *user = or_empty(rep->user), *customers = or_empty(rep->customers);
  const char *role = or_empty(rep->role), *method = or_empty(rep->tan_method);

  if (user[0] == '\0')
    return customers[0] == '\0' && role[0] == '\0' &&
           (method[0] == '\0' || (rep->result == KC_RES_TAN_REQUIRED &&
                                  is_one_of(method, asked)));
  return (rep->op == KC_OP_AUTH || rep->op == KC_OP_TAN) &&
         (rep->result == KC_RES_OK || rep->result == KC_RES_NEW_AUTHTOK_REQD) &&
         kc_str_is_username(user) && kc_proto_customers_ok(customers) &&
         is_one_of(role, roles) && is_one_of(method, methods);
}

/* ------------------------------------------------------------ encoding */

static int
put_u16(struct kc_buf *b, uint16_t v)
{
  uint8_t x[2] = {(uint8_t) (v >> 8), (uint8_t) v};

  return kc_buf_add(b, x, sizeof(x));
}

static int
put_u32(struct kc_buf *b, uint32_t v)
{
  uint8_t x[4] = {(uint8_t) (v >> 24), (uint8_t) (v >> 16), (uint8_t) (v >> 8),
                  (uint8_t) v};

  return kc_buf_add(b, x, sizeof(x));
}

static int
put_str(struct kc_buf *b, const char *s, size_t cap)
{
  size_t len = s != NULL ? strlen(s) : 0;
  int r;

  if (len > cap)
    return KC_ERR_INVALID;
  if ((r = put_u32(b, (uint32_t) len)) != 0)
    return r;
  return len > 0 ? kc_buf_add(b, s, len) : 0;
}

/* Write the header with a placeholder length; finish_message fills it. */
static int
begin_message(struct kc_buf *b, uint16_t type, size_t *start)
{
  int r;

  *start = kc_buf_len(b);
  if ((r = kc_buf_add(b, KC_PROTO_MAGIC, 4)) != 0 ||
      (r = put_u16(b, KC_PROTO_VERSION)) != 0 || (r = put_u16(b, type)) != 0 ||
      (r = put_u32(b, 0)) != 0)
    return r;
  return 0;
}

static int
finish_message(struct kc_buf *b, size_t start)
{
  size_t body = kc_buf_len(b) - start - KC_PROTO_HEADER_SIZE;
  uint8_t *p = (uint8_t *) b->data + start + 8;

  if (body > KC_PROTO_MAX_BODY) {
    kc_buf_free(b);
    return KC_ERR_TOO_LARGE;
  }
  p[0] = (uint8_t) (body >> 24);
  p[1] = (uint8_t) (body >> 16);
  p[2] = (uint8_t) (body >> 8);
  p[3] = (uint8_t) body;
  return 0;
}

int
kc_proto_request_encode(struct kc_buf *out, const struct kc_proto_request *req)
{
  const struct op_layout *l = layout_of(req->op);
  size_t start, i;
  int r;

  if (l == NULL)
    return KC_ERR_INVALID;
  if ((r = begin_message(out, req->op, &start)) != 0)
    return r;
  for (i = 0; i < MAX_FIELDS && l->fields[i] != F_END; i++) {
    if (l->fields[i] == F_FLAGS) {
      r = put_u32(out, req->flags);
    } else {
      size_t k = slot_index(l->fields[i]);
      r = put_str(out, req_value(req, k), slots[k].cap);
    }
    if (r != 0) {
      kc_buf_free(out);
      return r;
    }
  }
  return finish_message(out, start);
}

/* The string fields of a reply, in wire order, with their caps. */
static const struct {
  size_t off;
  size_t cap;
} reply_strings[] = {
  {offsetof(struct kc_proto_reply, message), KC_MAX_PROTO_TEXT},
  {offsetof(struct kc_proto_reply, challenge), KC_MAX_TOKEN},
  {offsetof(struct kc_proto_reply, destination), KC_MAX_PROTO_TEXT},
  {offsetof(struct kc_proto_reply, user), KC_MAX_USERNAME},
  {offsetof(struct kc_proto_reply, customers), KC_MAX_CUSTOMER_LIST},
  {offsetof(struct kc_proto_reply, role), KC_MAX_PROTO_WORD},
  {offsetof(struct kc_proto_reply, tan_method), KC_MAX_PROTO_WORD},
};
#define NREPLY_STRINGS (sizeof(reply_strings) / sizeof(reply_strings[0]))

static char **
rep_slot(struct kc_proto_reply *rep, size_t i)
{
  return (char **) (void *) ((char *) rep + reply_strings[i].off);
}

static const char *
rep_value(const struct kc_proto_reply *rep, size_t i)
{
  return *(char *const *) (const void *) ((const char *) rep +
                                          reply_strings[i].off);
}

int
kc_proto_reply_encode(struct kc_buf *out, const struct kc_proto_reply *rep)
{
  size_t start, i;
  int r;

  if (rep->op != KC_OP_ERROR && layout_of(rep->op) == NULL)
    return KC_ERR_INVALID;
  if (rep->result > KC_RES_LAST || !identity_ok(rep))
    return KC_ERR_INVALID;
  r = begin_message(out, (uint16_t) (rep->op | KC_PROTO_REPLY), &start);
  if (r == 0)
    r = put_u32(out, rep->result);
  for (i = 0; r == 0 && i < NREPLY_STRINGS; i++)
    r = put_str(out, rep_value(rep, i), reply_strings[i].cap);
  if (r != 0) {
    kc_buf_free(out);
    return r;
  }
  return finish_message(out, start);
}

/* ------------------------------------------------------------ decoding */

struct reader {
  const uint8_t *p;
  size_t left;
};

static int
get_u32(struct reader *rd, uint32_t *v)
{
  *v = 0;
  if (rd->left < 4)
    return KC_ERR_PROTOCOL;
  *v = (uint32_t) rd->p[0] << 24 | (uint32_t) rd->p[1] << 16 |
       (uint32_t) rd->p[2] << 8 | (uint32_t) rd->p[3];
  rd->p += 4;
  rd->left -= 4;
  return 0;
}

/* Announced length is checked against the cap before anything is copied;
 * an embedded NUL is refused (sshbuf_get_cstring). */
static int
get_str(struct reader *rd, char **out, size_t cap)
{
  uint32_t len;
  char *s;
  int r;

  *out = NULL;
  if ((r = get_u32(rd, &len)) != 0)
    return r;
  if (len > cap || len > rd->left)
    return KC_ERR_PROTOCOL;
  if (len > 0 && memchr(rd->p, '\0', len) != NULL)
    return KC_ERR_PROTOCOL;
  if ((s = malloc((size_t) len + 1)) == NULL)
    return KC_ERR_NOMEM;
  if (len > 0)
    memcpy(s, rd->p, len);
  s[len] = '\0';
  rd->p += len;
  rd->left -= len;
  *out = s;
  return 0;
}

int
kc_proto_header_decode(const uint8_t hdr[KC_PROTO_HEADER_SIZE], uint16_t *type,
                       uint32_t *len)
{
  uint16_t version;

  *type = 0;
  *len = 0;
  if (memcmp(hdr, KC_PROTO_MAGIC, 4) != 0)
    return KC_ERR_PROTOCOL;
  version = (uint16_t) (hdr[4] << 8 | hdr[5]);
  *type = (uint16_t) (hdr[6] << 8 | hdr[7]);
  *len = (uint32_t) hdr[8] << 24 | (uint32_t) hdr[9] << 16 |
         (uint32_t) hdr[10] << 8 | (uint32_t) hdr[11];
  if (version != KC_PROTO_VERSION)
    return KC_ERR_VERSION;
  if (*len > KC_PROTO_MAX_BODY) {
    *len = 0;
    return KC_ERR_TOO_LARGE;
  }
  return 0;
}

/* Give every string slot a value so callers never see NULL. */
static int
fill_empty(char **slot)
{
  if (*slot != NULL)
    return 0;
  *slot = strdup("");
  return *slot != NULL ? 0 : KC_ERR_NOMEM;
}

static int
fill_request(struct kc_proto_request *req)
{
  size_t i;
  int r;

  for (i = 0; i < NSLOTS; i++) {
    if ((r = fill_empty(req_slot(req, i))) != 0)
      return r;
  }
  return 0;
}

int
kc_proto_request_decode(struct kc_proto_request *req, uint16_t op,
                        const uint8_t *body, size_t len)
{
  const struct op_layout *l = layout_of(op);
  struct reader rd = {body, len};
  size_t i, k;
  int r = 0;

  memset(req, 0, sizeof(*req));
  if (l == NULL || (len > 0 && body == NULL))
    return KC_ERR_PROTOCOL;
  req->op = op;
  for (i = 0; r == 0 && i < MAX_FIELDS && l->fields[i] != F_END; i++) {
    if (l->fields[i] == F_FLAGS) {
      r = get_u32(&rd, &req->flags);
      if (r == 0 && (req->flags & ~KC_AUTH_FLAGS_MASK) != 0)
        r = KC_ERR_PROTOCOL;
    } else {
      k = slot_index(l->fields[i]);
      r = get_str(&rd, req_slot(req, k), slots[k].cap);
    }
  }
  if (r == 0 && rd.left != 0)
    r = KC_ERR_PROTOCOL; /* trailing bytes (m_end) */
  if (r == 0)
    r = fill_request(req);
  if (r != 0)
    kc_proto_request_free(req);
  return r;
}

int
kc_proto_reply_decode(struct kc_proto_reply *rep, uint16_t type,
                      const uint8_t *body, size_t len)
{
  struct reader rd = {body, len};
  uint16_t op = (uint16_t) (type & ~KC_PROTO_REPLY);
  size_t i;
  int r;

  memset(rep, 0, sizeof(*rep));
  if ((type & KC_PROTO_REPLY) == 0 ||
      (op != KC_OP_ERROR && layout_of(op) == NULL) || (len > 0 && body == NULL))
    return KC_ERR_PROTOCOL;
  rep->op = op;
  r = get_u32(&rd, &rep->result);
  if (r == 0 && rep->result > KC_RES_LAST)
    r = KC_ERR_PROTOCOL;
  for (i = 0; r == 0 && i < NREPLY_STRINGS; i++)
    r = get_str(&rd, rep_slot(rep, i), reply_strings[i].cap);
  if (r == 0 && rd.left != 0)
    r = KC_ERR_PROTOCOL;
  if (r == 0 && !identity_ok(rep))
    r = KC_ERR_PROTOCOL;
  if (r != 0)
    kc_proto_reply_free(rep);
  return r;
}

void
kc_proto_request_free(struct kc_proto_request *req)
{
  kc_wipe_free_str(req->password);
  kc_wipe_free_str(req->new_password);
  kc_wipe_free_str(req->tan);
  kc_wipe_free_str(req->challenge);
  free(req->user);
  free(req->service);
  free(req->rhost);
  memset(req, 0, sizeof(*req));
}

void
kc_proto_reply_free(struct kc_proto_reply *rep)
{
  free(rep->message);
  kc_wipe_free_str(rep->challenge);
  free(rep->destination);
  free(rep->user);
  free(rep->customers);
  free(rep->role);
  free(rep->tan_method);
  memset(rep, 0, sizeof(*rep));
}
