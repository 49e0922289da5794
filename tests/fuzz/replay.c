/*
 * replay.c: a main() for the fuzz targets when they are built without
 * libFuzzer. It feeds every file named on the command line, and every
 * regular file in every directory named there, to LLVMFuzzerTestOneInput(),
 * so `make check` runs the seed corpus through each parser (under the
 * sanitizers too when configured with --enable-sanitizers).
 * Exit status: 0 when every input ran, 1 when a file could not be read, 2 on
 * usage errors. A crash is the target's failure.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Seeds are small; anything larger is a mistake in the corpus. */
#define REPLAY_MAX_INPUT (1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long replayed;

/* Read path (at most REPLAY_MAX_INPUT bytes) and run the target on it. */
static int
replay_file(const char *path)
{
  static uint8_t buf[REPLAY_MAX_INPUT + 1];
  size_t len = 0;
  ssize_t n = 0;
  int fd;

  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  while (len < sizeof(buf)) {
    n = read(fd, buf + len, sizeof(buf) - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    len += (size_t) n;
  }
  close(fd);
  if (n < 0 || len > REPLAY_MAX_INPUT) {
    fprintf(stderr, "replay: %s: %s\n", path,
      n < 0 ? strerror(errno) : "larger than 1 MiB");
    return -1;
  }
  (void) LLVMFuzzerTestOneInput(buf, len);
  replayed++;
  return 0;
}

static int
replay_dir(const char *dir)
{
  char path[4096];
  struct dirent *e;
  struct stat st;
  DIR *d;
  int rc = 0;

  if ((d = opendir(dir)) == NULL) {
    fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
    return -1;
  }
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
      (int) sizeof(path))
      continue;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && replay_file(path) != 0)
      rc = -1;
  }
  closedir(d);
  return rc;
}

int
main(int argc, char **argv)
{
  struct stat st;
  int i, rc = 0;

  if (argc < 2) {
    fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
    return 2;
  }
  for (i = 1; i < argc; i++) {
    if (stat(argv[i], &st) != 0) {
      fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
      rc = 1;
    } else if (S_ISDIR(st.st_mode) ? replay_dir(argv[i]) != 0 :
                                     replay_file(argv[i]) != 0) {
      rc = 1;
    }
  }
  printf("replay: %s: ran %lu inputs\n", argv[0], replayed);
  return rc;
}
