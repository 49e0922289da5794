#!/usr/bin/env bash
# Connection limits of kcd's PAM socket: one peer uid holds at most
# pam_max_conns_per_uid connections (here 8), a connection beyond it is
# closed at once and logged once, and a login from another uid still
# passes while that uid holds its share; a setuid-root caller (su,
# passwd) counts under its real uid, not root's; a connection is closed
# after its 100th answer, and between requests once 60 s have passed;
# with the cap at the table size the full table still makes new clients
# wait in the backlog until a slot is free.
set -u
. "$top_srcdir/tests/lib/slapd.sh"
. "$top_srcdir/tests/lib/kcd.sh"
. "$top_srcdir/tests/lib/check.sh"
kc_slapd_require
[[ $(id -u) == 0 ]] || { echo "SKIP: needs root to connect as a second uid"; exit 77; }
kc_slapd_start || exit 1
kc_kcd_start "pam_max_conns_per_uid = 8" || exit 1
kc_check_grep "kcd logs the cap" 'serving;.* conns_per_uid=8$' cat "$KC_KCD_LOG"

if PYTHONPATH=$top_srcdir/tests/tools /usr/bin/python3 - "$KC_KCD_SOCKET" <<PY
import os, socket, sys, time
import kcproto as k

path = sys.argv[1]
failed = 0

def check(name, got, want):
    global failed
    ok = got == want
    print("%s %s: got %r want %r" % ("ok  " if ok else "FAIL", name, got, want))
    if not ok:
        failed += 1

def refused(c):
    """True when kcd has closed c without an answer."""
    try:
        c.sendall(k.ping())
        c.settimeout(10)
        return c.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True

# lifetime: a client that PINGs every 9 s (under the 10 s idle timeout)
# is closed once 60 s have passed, between two requests; in the
# background while the rest runs
import threading
life = {}
def lifetime():
    c = k.connect(path, timeout=15)
    t0, n = time.time(), 0
    try:
        while time.time() - t0 < 120:
            c.sendall(k.ping())
            if k.read_reply(c)[2] != "OK":
                break
            n += 1
            time.sleep(9)
    except Exception as e:
        life["closed"] = time.time() - t0
    life["answers"] = n
life_thread = threading.Thread(target=lifetime)
life_thread.start()

# uid 65534 (a local user) opens as many connections as it may, sends a
# PING on each and keeps them open; then tries for more
to_parent_r, to_parent_w = os.pipe()
to_child_r, to_child_w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(to_parent_r)
    os.close(to_child_w)
    out = []
    try:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
        held = [k.connect(path) for _ in range(8)]
        for c in held:
            c.sendall(k.ping())
        out.append(",".join(k.read_reply(c)[2] for c in held))
        extra = [refused(k.connect(path)) for _ in range(4)]
        out.append(",".join(str(x) for x in extra))
        # the held ones still work
        for c in held:
            c.sendall(k.ping())
        out.append(",".join(k.read_reply(c)[2] for c in held))
        os.write(to_parent_w, (" ".join(out) + "\n").encode())
        os.read(to_child_r, 1)          # the parent has logged in
        held.pop().close()              # one slot of ours is free again
        r = "refused"
        for _ in range(100):
            c = k.connect(path)
            if not refused(c):
                r = "accepted"
                break
            time.sleep(0.05)
        os.write(to_parent_w, (r + "\n").encode())
    except Exception as e:
        os.write(to_parent_w, ("error:%r\n" % e).encode())
    os._exit(0)
os.close(to_parent_w)
os.close(to_child_r)
f = os.fdopen(to_parent_r)
line = f.readline().split()
check("uid 65534: 8 connections, each answered", line[0] if line else None,
      ",".join(["OK"] * 8))
check("  4 more are closed at once", line[1] if len(line) > 1 else None,
      ",".join(["True"] * 4))
check("  the 8 held ones still answer", line[2] if len(line) > 2 else None,
      ",".join(["OK"] * 8))
# while uid 65534 holds its 8, root logs in
check("root logs in meanwhile", k.call(path, k.auth("mmuster", "$KC_PW_MMUSTER"), timeout=60)[2], "OK")
check("  and asks for an account", k.call(path, k.acct("mmuster"))[2], "OK")
os.write(to_child_w, b"g")
check("uid 65534 gets a connection again once it closed one",
      f.readline().strip(), "accepted")
os.waitpid(pid, 0)

# a setuid-root program a user runs (su, passwd) connects as uid 0: it
# counts under the user's real uid, so no user can take the share that
# sshd and login (real uid 0) need
to_parent_r, to_parent_w = os.pipe()
to_child_r, to_child_w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(to_parent_r)
    os.close(to_child_w)
    try:
        os.setresuid(65533, 0, 0)
        held = [k.connect(path) for _ in range(8)]
        for c in held:
            c.sendall(k.ping())
        answers = ",".join(k.read_reply(c)[2] for c in held)
        extra = refused(k.connect(path))
        os.write(to_parent_w, ("%s %s\n" % (answers, extra)).encode())
        os.read(to_child_r, 1)          # the parent has logged in
    except Exception as e:
        os.write(to_parent_w, ("error:%r\n" % e).encode())
    os._exit(0)
os.close(to_parent_w)
os.close(to_child_r)
f = os.fdopen(to_parent_r)
check("a setuid-root caller of uid 65533 holds 8, the 9th is refused",
      f.readline().strip(), ",".join(["OK"] * 8) + " True")
try:
    r = k.call(path, k.auth("mmuster", "$KC_PW_MMUSTER"), timeout=60)[2]
except Exception as e:
    r = "refused: %r" % e
check("  while root (real uid 0) logs in", r, "OK")
os.write(to_child_w, b"g")
os.waitpid(pid, 0)

# requests per connection: the 100th answer is the last
c = k.connect(path)
answers = []
for i in range(100):
    c.sendall(k.ping())
    answers.append(k.read_reply(c)[2])
check("100 PINGs on one connection are answered",
      answers.count("OK"), 100)
check("  then kcd closes it", refused(c), True)

life_thread.join()
print("     (the PINGing client: %r)" % life)
check("a client PINGing every 9 s is closed, not before 60 s",
      life.get("closed", 0) >= 60, True)
# PINGs at 0, 9, ..., 54 s come before the end of its life; at most one
# more is answered (the one that finds it over)
check("  after at most 8 answers", 0 < life.get("answers", 99) <= 8, True)
sys.exit(1 if failed else 0)
PY
then
  kc_pass "per-uid cap, a login of another uid, the request cap (lines above)"
else
  kc_fail "per-uid cap, a login of another uid, the request cap (lines above)"
fi
kc_check "the refusals are one log line (at most one a minute)" \
  test "$(grep -c 'connection refused, too many for the peer uid; peer_uid=65534 .* limit=8 refused=1$' "$KC_KCD_LOG")" -eq 1
kc_kcd_stop

# --- the cap at the table size: the full table makes clients wait
kc_kcd_start "pam_max_conns_per_uid = 1024" || exit 1
if PYTHONPATH=$top_srcdir/tests/tools /usr/bin/python3 - "$KC_KCD_SOCKET" <<'PY'
import sys
import kcproto as k
path = sys.argv[1]
held = [k.connect(path, timeout=60) for _ in range(1024)]  # a loaded machine
for c in held:
    c.sendall(k.ping())
ok = all(k.read_reply(c)[2] == "OK" for c in held)
print("1024 connections answered:", ok)
late = k.connect(path, timeout=30)   # in the kernel's backlog
late.sendall(k.ping())
held.pop().close()                    # a slot frees: kcd accepts again
r = k.read_reply(late)[2]
print("the 1025th, once a slot was free:", r)
sys.exit(0 if ok and r == "OK" else 1)
PY
then
  kc_pass "with a full table the next client waits for a free slot, then is served"
else
  kc_fail "with a full table the next client waits for a free slot, then is served"
fi
kc_done
