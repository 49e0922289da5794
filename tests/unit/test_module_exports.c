/*
 * The built module as PAM loads it: dlopen() with RTLD_NOW (every symbol
 * resolves now, or the load fails), every pam_sm_* entry point present,
 * nothing internal visible (pam-u2f's dlsym_check.c idea). The path is
 * $KC_PAM_MODULE, else the libtool output of this build tree.
 */
#include <config.h>

#include <check.h>
#include <dlfcn.h>
#include <stdlib.h>

#ifndef KC_PAM_MODULE_PATH
#define KC_PAM_MODULE_PATH "pam_kundencenter/.libs/pam_kundencenter.so"
#endif

static const char *const entry_points[] = {"pam_sm_authenticate",
  "pam_sm_setcred", "pam_sm_acct_mgmt", "pam_sm_open_session",
  "pam_sm_close_session", "pam_sm_chauthtok"};

/* Names from libkcpam and libkccommon that must stay inside. */
static const char *const internal[] = {"kc_pam_map_result", "kc_pam_result",
  "kc_pam_cfg_parse", "kc_pam_request_auth", "kc_pam_auth", "kc_pam_ctx_get",
  "kc_buf_add", "kc_io_connect_unix", "kc_proto_request_encode", "kc_wipe",
  "kc_strerror"};

static void *handle;

static const char *
module_path(void)
{
  const char *p = getenv("KC_PAM_MODULE");

  return p != NULL && p[0] != '\0' ? p : KC_PAM_MODULE_PATH;
}

static void
setup(void)
{
  handle = dlopen(module_path(), RTLD_NOW | RTLD_LOCAL);
  ck_assert_msg(handle != NULL, "dlopen %s: %s", module_path(), dlerror());
}

static void
teardown(void)
{
  if (handle != NULL)
    dlclose(handle);
  handle = NULL;
}

START_TEST(test_module_exports_entry_points)
{
  const char *name = entry_points[_i];

  ck_assert_msg(dlsym(handle, name) != NULL, "%s missing: %s", name,
    dlerror());
}
END_TEST

START_TEST(test_module_exports_nothing_internal)
{
  const char *name = internal[_i];

  ck_assert_msg(dlsym(handle, name) == NULL, "%s is exported", name);
}
END_TEST

static Suite *
module_exports_suite(void)
{
  Suite *s = suite_create("module_exports");
  TCase *tc = tcase_create("core");

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_loop_test(tc, test_module_exports_entry_points, 0,
    (int) (sizeof(entry_points) / sizeof(entry_points[0])));
  tcase_add_loop_test(tc, test_module_exports_nothing_internal, 0,
    (int) (sizeof(internal) / sizeof(internal[0])));
  suite_add_tcase(s, tc);
  return s;
}

int
main(void)
{
  SRunner *sr = srunner_create(module_exports_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
