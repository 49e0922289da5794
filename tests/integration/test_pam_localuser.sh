#!/usr/bin/env bash
# The shipped PAM stacks (examples/pam.d/sshd and login) let the module
# answer only for users that are not local: pam_localuser skips it for
# every name in the passwd file. Here the auth and account lines of each
# stack run through real libpam (kc-pamtest, private service directory)
# against the real kcd and slapd; pam_localuser reads a private passwd
# file (file=), and common-auth/common-account stand in as pam_deny and
# pam_permit (the local password modules know no Kundencenter password).
# A Kundencenter account named like a local user must not log in with the
# Kundencenter password, and kcd must not even be asked; a name that is
# not local still logs in.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/pam.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
kc_pam_init
kc_slapd_start || exit 1
kc_kcd_start || exit 1
work=$KC_PAM_TMP

# The passwd file pam_localuser reads: another local user, or also one
# named like the Kundencenter account mmuster.
printf '%s\n' "kclocal:x:1000:1000:Lokal:/home/kclocal:/bin/bash" >"$work/passwd.other"
printf '%s\n' "kclocal:x:1000:1000:Lokal:/home/kclocal:/bin/bash" \
  "mmuster:x:1001:1001:Max Lokal:/home/mmuster:/bin/bash" >"$work/passwd.clash"

# service NAME FILE PASSWD: the auth and account lines of the shipped
# stack FILE, pointed at the built module, kcd's socket and PASSWD.
service() {
  local name=$1 file=$2 passwd=$3
  sed -n -e '/^[[:space:]]*#/d' -e '/^[[:space:]]*$/d' \
    -e '/^\(auth\|account\|@include common-auth\|@include common-account\)/p' \
    "$top_srcdir/examples/pam.d/$file" |
    sed -e "s|pam_kundencenter\.so socket=/run/kcd/pam\.sock|$KC_PAM_MODULE socket=$KC_KCD_SOCKET|" \
      -e "s|pam_localuser\.so|pam_localuser.so file=$passwd|" \
      -e "s|^@include common-auth\$|auth required pam_deny.so|" \
      -e "s|^@include common-account\$|account required pam_permit.so|" \
      >"$KC_PAM_DIR/$name"
  echo "# service $name from examples/pam.d/$file:"
  sed 's/^/#   /' "$KC_PAM_DIR/$name"
}
# auth_requests USER: AUTH requests kcd logged for USER so far
auth_requests() { grep -c "^kcd: AUTH [A-Z_]*; user=$1 " "$KC_KCD_LOG"; }
acct_requests() { grep -c "^kcd: ACCT [A-Z_]*; user=$1 " "$KC_KCD_LOG"; }

for stack in sshd login; do
  service "kc-$stack-other" "$stack" "$work/passwd.other"
  service "kc-$stack-clash" "$stack" "$work/passwd.clash"
  kc_check_grep "$stack: the stack has the pam_localuser line" \
    'pam_localuser\.so file=' cat "$KC_PAM_DIR/kc-$stack-clash"
  kc_check_grep "$stack: and the module" "$KC_PAM_MODULE" cat "$KC_PAM_DIR/kc-$stack-clash"

  before=$(auth_requests mmuster)
  kc_check "$stack: mmuster is not local -> the Kundencenter login works" \
    kc_pamtest --service "kc-$stack-other" --user mmuster --conv sshd \
    --answer "$KC_PW_MMUSTER" --steps auth,acct \
    --expect auth=PAM_SUCCESS,acct=PAM_SUCCESS
  kc_check "$stack:   kcd was asked" test "$(auth_requests mmuster)" -eq $((before + 1))

  before=$(auth_requests mmuster)
  before_acct=$(acct_requests mmuster)
  kc_check "$stack: mmuster is local -> the Kundencenter password is refused" \
    kc_pamtest --service "kc-$stack-clash" --user mmuster --conv sshd \
    --answer "$KC_PW_MMUSTER" --steps auth --expect auth=PAM_AUTH_ERR
  kc_check "$stack:   the module was skipped: kcd was not asked" \
    test "$(auth_requests mmuster)" -eq "$before"
  kc_check "$stack: the account step of a local name leaves kcd out too" \
    kc_pamtest --service "kc-$stack-clash" --user mmuster --conv sshd --steps acct \
    --expect acct=PAM_SUCCESS
  kc_check "$stack:   kcd was not asked" test "$(acct_requests mmuster)" -eq "$before_acct"

  kc_check "$stack: a name neither local nor known to kcd still reaches kcd" \
    kc_pamtest --service "kc-$stack-clash" --user niemand-lokal --conv sshd \
    --answer "Falsches-Passwort-1" --steps auth --expect auth=PAM_AUTH_ERR
  kc_check_grep "$stack:   kcd answered for it" 'AUTH USER_UNKNOWN; user=niemand-lokal ' \
    cat "$KC_KCD_LOG"
done
kc_done
