/*
 * kc_limits.h: every input limit of the project, named once, with the
 * reason for its value (curl's DYN_*, httpd's SERVER_MAX*, nslcd's
 * BUFLEN_*). An input without a limit here is not finished.
 * Sizes count bytes and exclude the terminating NUL unless noted.
 */
#ifndef KC_LIMITS_H
#define KC_LIMITS_H

/* Login names: ASCII letters, digits, ".", "_", "-"; 64 is more than any
 * portal user needs and fits utmp-style consumers. */
#define KC_MAX_USERNAME 64

/* Passwords: DESIGN asks for a maximum of at least 64; passphrases of a few
 * words fit in 256, and argon2 makes the length cost nothing to us. */
#define KC_MAX_PASSWORD 256

/* TANs are 6 to 8 digits. */
#define KC_MIN_TAN_LENGTH 6
#define KC_MAX_TAN_LENGTH 8
/* Conditional modifies of one account's TAN state lost to parallel
 * requests before a request gives up (and fails closed): each loss means
 * another request got through, so this bounds the wait, not the work. */
#define KC_MAX_TAN_CAS_RETRIES 32

/* Customer numbers: digits only; 20 covers every numbering scheme seen. */
#define KC_MAX_CUSTOMER_NUMBER 20

/* Customer numbers of one account that a reply of kcd names (KC_CUSTOMERS
 * for a portal): a group of practices under one login has a handful; 64
 * numbers of KC_MAX_CUSTOMER_NUMBER digits and their commas keep the
 * reply far below KC_MAX_PROTO_MESSAGE. */
#define KC_MAX_ACCOUNT_CUSTOMERS 64
#define KC_MAX_CUSTOMER_LIST                                                   \
  (KC_MAX_ACCOUNT_CUSTOMERS * (KC_MAX_CUSTOMER_NUMBER + 1))

/* RFC 5321 caps a forward path at 256 octets including the angle brackets. */
#define KC_MAX_EMAIL 254

/* E.164 numbers have at most 15 digits; 32 leaves room for typed spaces. */
#define KC_MAX_PHONE 32

/* Tokens are 32 random bytes, base64url: 43 characters. */
#define KC_MAX_TOKEN 64

/* A proof of the second factor (kcd/auth/proof.h) is good for a password change
 * this long after the TAN: a login's own forced change takes a minute. */
#define KC_PROOF_TTL 600

/* Distinguished names we build or read: uid + base DN stay far below. */
#define KC_MAX_DN 1024

/* PAM service and remote host names passed through the protocol. */
#define KC_MAX_SERVICE 64
#define KC_MAX_RHOST   256

/* One PAM-socket message: the largest request is CHAUTHTOK with two
 * passwords and a user name; 8 KiB leaves generous headroom. */
#define KC_MAX_PROTO_MESSAGE 8192

/* Text fields in protocol replies (prompts, masked destinations, messages). */
#define KC_MAX_PROTO_TEXT 512

/* Words in protocol replies: a role ("admin") or a second-factor method
 * ("email"); the longest is 5 bytes, 16 is kcRole's and kcTanMethod's
 * schema bound. */
#define KC_MAX_PROTO_WORD 16

/* kcd.conf: one line and the whole file. */
#define KC_MAX_CONF_LINE 4096
#define KC_MAX_CONF_FILE (256 * 1024)

/* Secret files (*_file keys): a password or a header line. */
#define KC_MAX_SECRET_FILE 4096

/* Values of space-separated lists in kcd.conf (ldap_uri, origins). */
#define KC_MAX_CONF_LIST 16

/* HTTP: one header line and a request body (forms are small). */
#define KC_MAX_HTTP_HEADER 8192
#define KC_MAX_HTTP_BODY   (64 * 1024)

/* CSV import: one line of Kundennummer;E-Mail;Name. */
#define KC_MAX_CSV_LINE 4096

/* Image captcha answer as typed: 6 characters; room for blanks a browser
 * or a paste may add. Longer is wrong without further work. */
#define KC_MAX_CAPTCHA_ANSWER 64

/* ALTCHA form field: base64 of a JSON object the widget makes (about 300
 * bytes, 400 in base64); 2 KiB leaves room for extra fields. */
#define KC_MAX_ALTCHA_PAYLOAD 2048

/* Dummy argon2id verifications for unknown users running in kcd at once
 * (fewer on machines with fewer CPUs): each holds 64 MiB and a core. */
#define KC_DUMMY_MAX_PARALLEL 4
/* An unknown name waits as long as a real bind takes lately, at most this
 * (ms): a directory that got slow must not hold kcd's threads longer. */
#define KC_DUMMY_MAX_PAD_MS 3000

/* CSV import: the whole file, read at once so that --strict can check
 * every row before the first write; 64 MiB is about a million customers. */
#define KC_MAX_CSV_FILE (64 * 1024 * 1024)

/* Names people type (customer name "o", first and last names): 256 bytes
 * of UTF-8 hold any practice or person name we have seen. */
#define KC_MAX_NAME 256

/* trusted_proxies in kcd.conf: the reverse proxies whose X-Forwarded-For
 * kcd believes; 32 hosts or networks cover a load-balanced proxy farm and
 * keep the per-request match a short loop. */
#define KC_MAX_TRUSTED_PROXIES 32

/* X-Forwarded-For entries kcd looks at, from the right: one per proxy hop.
 * A chain of more trusted proxies than this is a loop or a forgery; the
 * entries left of the client are never read. */
#define KC_MAX_XFF_HOPS 16

/* reserved_usernames_file: one name a line, '#' comments. A line holds a
 * user name (KC_MAX_USERNAME) and a comment; 256 bytes is plenty. 4096
 * names cover every system, role and service name a site would list and
 * keep the sorted table small; the file may hold that many lines at the
 * longest, no more. */
#define KC_MAX_RESERVED_LINE  256
#define KC_MAX_RESERVED_NAMES 4096
#define KC_MAX_RESERVED_FILE                                                   \
  (KC_MAX_RESERVED_NAMES * (KC_MAX_RESERVED_LINE + 1))

/* getpwnam_r's buffer for one passwd entry (name, gecos, home, shell):
 * sysconf(_SC_GETPW_R_SIZE_MAX) is 1 KiB on glibc; 16 KiB leaves room for
 * long NSS entries. An entry that does not fit counts as existing. */
#define KC_MAX_PASSWD_ENTRY 16384

/* kcd's PAM socket: connections open at once. Each costs a descriptor and
 * a slot, not a worker; beyond it the kernel's backlog holds clients. */
#define KC_PAM_MAX_CONNS 1024

/* Default of pam_max_conns_per_uid: connections one peer uid may hold.
 * A quarter of the table, so no one local user (nor two) can fill it and
 * make every login PAM_AUTHINFO_UNAVAIL; still far more than the logins
 * a busy Apache (all its workers come as www-data) or sshd (root) has in
 * flight, since the module holds a connection for one request only. */
#define KC_PAM_CONNS_PER_UID 256

/* Requests on one PAM-socket connection, then kcd closes it after the
 * answer: the module sends one per connection; a client that keeps a
 * connection for more (a monitor's PING) reconnects now and then, so no
 * connection lives on forever re-armed. */
#define KC_PAM_CONN_MAX_REQUESTS 100

/* Lifetime of a PAM-socket connection: when it is over, kcd closes the
 * connection between two requests (after the answer in progress). A
 * login takes seconds; an idle hold of a slot ends here at the latest. */
#define KC_PAM_CONN_MAX_LIFETIME_S 60

/* What a user types for the authenticator app: a code is 6 digits or
 * "123 456"; a recovery code 10 characters, which users may group with
 * blanks and dashes as they like. Beyond these nothing is looked at. */
#define KC_MAX_TOTP_CODE_INPUT 16
#define KC_MAX_RECOVERY_INPUT  64
/* Any answer to "your second factor": a TAN, an app code or a recovery
 * code as typed (the TAN field of the PAM protocol, the web forms). */
#define KC_MAX_FACTOR_ANSWER KC_MAX_RECOVERY_INPUT
_Static_assert(KC_MAX_FACTOR_ANSWER >= KC_MAX_TAN_LENGTH &&
                 KC_MAX_FACTOR_ANSWER >= KC_MAX_TOTP_CODE_INPUT,
               "every second factor fits");
/* What tan=inline may append to the password: a TAN, an app code, or a
 * recovery code in its shown form ("7KQ2-M9XD-4F"). */
#define KC_MAX_INLINE_FACTOR 12
_Static_assert(KC_MAX_INLINE_FACTOR >= KC_MAX_TAN_LENGTH,
               "an inline TAN fits");

/* An entryUUID as text: 36 characters (RFC 4530); room for a server that
 * writes it otherwise. */
#define KC_MAX_UUID 64

/* The otpauth:// URI of the QR code: the issuer (portal_name, 128 bytes in
 * kcd.conf; KC_MAX_NAME to be safe) twice and the user name once, each at
 * most three times as long percent-encoded, plus the fixed parts; a QR
 * code holds less than 3 KB anyway. */
#define KC_MAX_TOTP_URI 2048
_Static_assert(KC_MAX_TOTP_URI >= 3 * (2 * KC_MAX_NAME + KC_MAX_USERNAME) + 128,
               "the longest otpauth URI fits");

#endif /* KC_LIMITS_H */
