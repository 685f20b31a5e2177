/*
** Fuzz target: configuration input. The bytes are read as an okta.yaml,
** as a setting value for every setting, as an org URL and as an ISO 8601
** time, and drive a generator of okta.yaml files full of anchors, aliases
** (to mappings, sequences and scalars, forward and backward, so cycles and
** expansion bombs), merge keys and nesting, which byte mutation alone
** rarely reaches. Properties: no crash or deep recursion; an accepted value
** passes its own check again; an error names the file; a parsed time
** formats and parses back to itself.
*/
#include "../../ext/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Loads text as an okta.yaml and checks the properties. */
static void load_yaml(const char *text, size_t size) {
  FILE *f = fmemopen((void *)text, size ? size : 1, "rb");
  if (!f) return;
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

/* Keys the generator uses: settings, setting groups, and unknown ones. */
static const char *const gen_keys[] = {"orgUrl", "token", "rateLimit", "cache", "maxRetries", "ttl",
                                       "concurrency", "scopes", "enabled", "x", "okta", "client"};

/* Writes an okta.yaml driven by the bytes: each byte picks a key and
** one of: a scalar, an anchored mapping (entered), an alias, leaving a
** mapping, a sequence of aliases, a merge key, a flow mapping of aliases,
** an anchored scalar. Anchors are numbered; aliases may name any number,
** defined yet or not. */
static void generate_yaml(okta_buf *out, const unsigned char *d, size_t n) {
  int depth = 2, anchors = 1;
  okta_buf_puts(out, "okta:\n  client: &a0\n");
  for (size_t i = 0; i < n && i < 256; i++) {
    unsigned b = d[i];
    const char *key = gen_keys[(b >> 3) % (sizeof(gen_keys) / sizeof(gen_keys[0]))];
    int ref = anchors ? (int)(b >> 3) % (anchors + 1) : 0;
    if ((b & 7) == 3) {
      if (depth > 2) depth--;
      continue;
    }
    okta_buf_printf(out, "%*s%s", depth * 2, "", key);
    switch (b & 7) {
      case 0: okta_buf_printf(out, ": v%u\n", b); break;
      case 1:
        okta_buf_printf(out, ": &a%d\n", anchors++);
        if (depth < 12) depth++;
        break;
      case 2: okta_buf_printf(out, ": *a%d\n", ref); break;
      case 4: okta_buf_printf(out, ": [*a%d, *a%d, *a%d]\n", ref, ref, anchors - 1); break;
      case 5: okta_buf_printf(out, "%d:\n%*s<<: *a%d\n", (int)i, depth * 2 + 2, "", ref); break;
      case 6: okta_buf_printf(out, ": {p: *a%d, q: *a%d, r: *a%d}\n", ref, ref, ref); break;
      default: okta_buf_printf(out, ": &a%d s%u\n", anchors++, b); break;
    }
  }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  char *s = okta_strndup((const char *)data, size);
  if (!s) return 0;
  load_yaml((const char *)data, size);
  okta_buf gen = {0};
  generate_yaml(&gen, data, size);
  if (gen.p) load_yaml(gen.p, gen.n);
  okta_buf_free(&gen);
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
