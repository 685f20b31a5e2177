/*
** Replays fuzz inputs (the seed corpus and kept crashers) through a fuzz
** target without libFuzzer, so make test checks them with any compiler.
** Usage: replay_<target> file...
*/
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int main(int argc, char **argv) {
  int n = 0;
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) { perror(argv[i]); return 1; }
    unsigned char *buf = malloc(1 << 22);
    size_t len = fread(buf, 1, 1 << 22, f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    n++;
  }
  printf("replayed %d inputs\n", n);
  return 0;
}
