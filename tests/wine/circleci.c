/* A stand-in for the CircleCI CLI on Windows (`circleci.exe`), for the
 * tests only: `circleci run oidc get` prints the token in the file that
 * AWS_OIDC_TEST_TOKEN_FILE names, as the real CLI prints a fresh one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  if (argc < 4 || strcmp(argv[1], "run") || strcmp(argv[2], "oidc") || strcmp(argv[3], "get")) {
    fputs("circleci stand-in: only `run oidc get`\n", stderr);
    return 2;
  }
  const char *path = getenv("AWS_OIDC_TEST_TOKEN_FILE");
  FILE *f = path ? fopen(path, "rb") : NULL;
  if (!f) {
    fputs("circleci stand-in: no AWS_OIDC_TEST_TOKEN_FILE\n", stderr);
    return 1;
  }
  char buf[8192];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  fwrite(buf, 1, n, stdout);
  return 0;
}
