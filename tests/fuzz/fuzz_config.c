/*
** Fuzz target: configuration input. The bytes are read as an okta.yaml,
** as a setting value for every setting, as an org URL and as an ISO 8601
** time. Properties: an accepted value passes its own check again; an error
** names the file; a parsed time formats and parses back to itself.
*/
#include "../../ext/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  char *s = okta_strndup((const char *)data, size);
  if (!s) return 0;
  FILE *f = fmemopen((void *)data, size ? size : 1, "rb");
  if (f) {
    okta_config cfg = {0};
    char *err = okta_yaml_load_stream(&cfg, f, "fuzz.yaml", SRC_YAML_CWD);
    if (err && strncmp(err, "fuzz.yaml", 9) != 0 && strncmp(err, "out of memory", 13) != 0) abort();
    for (int i = 0; !err && i < CFG_COUNT; i++) {
      if (cfg.value[i]) {
        char *again = okta_setting_check(i, cfg.value[i], "again");
        if (again) abort(); /* what the file set was checked already */
      }
    }
    free(err);
    okta_config_clear(&cfg);
    fclose(f);
  }
  for (int i = 0; i < CFG_COUNT; i++) free(okta_setting_check(i, s, "fuzz"));
  int64_t ms;
  if (okta_parse_iso8601(s, &ms) == 0 && ms > -62135596800000LL && ms < 253402300800000LL) {
    char iso[32];
    int64_t back;
    okta_format_iso8601(ms, iso);
    if (okta_parse_iso8601(iso, &back) != 0 || back != ms) abort();
  }
  free(s);
  return 0;
}
