/*
** okta.yaml, the Okta SDKs' configuration file:
**
**   okta:
**     client:
**       orgUrl: https://acme.okta.com
**       token: 00abc...
**       scopes: [okta.users.read, okta.groups.read]
**       rateLimit: { maxRetries: 4, maxBackoff: 60 }
**
** Keys below okta.client are our setting keys (nested mappings join with
** '.'). A missing file is fine; an unreadable or malformed file, or a key
** we do not know, is an error naming the file and the key.
**
** Anchors and aliases are YAML, so they are accepted, but a file is
** untrusted input: an alias that points back into its own mapping (a
** cycle), nesting deeper than any setting, or aliases that multiply the
** keys to visit (an expansion bomb) are errors naming the file, never a
** deep recursion. A file that holds a secret (token, privateKey,
** privateKeyPassphrase) and is readable by group or others gets a warning.
*/
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

/* Deeper than any setting key (rateLimit.maxRetries is two levels). */
#define MAX_DEPTH 4
/* Keys and sequence items visited, aliases counted each time they are
** used: far more than a real okta.yaml has, far less than a bomb makes. */
#define MAX_VISITS 10000

/* State of one file's walk. */
typedef struct yaml_walk {
  okta_config *cfg;
  yaml_document_t *doc;
  const char *path;
  int source;
  int visits;
  yaml_node_t *stack[MAX_DEPTH + 1]; /* mappings being walked: a repeat is a cycle */
  int secret_keys;                   /* secret settings this file set */
} yaml_walk;

/* 1 when some setting key starts with prefix + ".". */
static int is_setting_group(const char *prefix) {
  size_t n = strlen(prefix);
  for (int i = 0; i < CFG_COUNT; i++) {
    if (strncasecmp(okta_settings[i].key, prefix, n) == 0 && okta_settings[i].key[n] == '.') return 1;
  }
  return 0;
}

/* Looks a key up in a YAML mapping node. */
static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key) {
  if (!map || map->type != YAML_MAPPING_NODE) return NULL;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(doc, p->key);
    if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
      return yaml_document_get_node(doc, p->value);
  }
  return NULL;
}

/* Applies every key of a mapping (recursively, prefix joined by '.'). */
static char *apply_map(yaml_walk *w, yaml_node_t *map, const char *prefix, int depth) {
  for (int d = 0; d < depth; d++) {
    if (w->stack[d] == map) {
      okta_buf e = {0};
      okta_buf_printf(&e, "%s: okta.client.%s refers to itself through an alias (an alias cycle)", w->path, prefix);
      return okta_buf_take(&e);
    }
  }
  if (depth >= MAX_DEPTH) {
    okta_buf e = {0};
    okta_buf_printf(&e, "%s: okta.client.%s is nested too deeply", w->path, prefix);
    return okta_buf_take(&e);
  }
  w->stack[depth] = map;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
    yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
    okta_buf key = {0}, val = {.secret = 1};
    char *err = NULL;
    if (++w->visits > MAX_VISITS) {
      okta_buf e = {0};
      okta_buf_printf(&e, "%s: too many keys (more than %d, counting each use of an alias): an alias "
                          "expansion?", w->path, MAX_VISITS);
      return okta_buf_take(&e);
    }
    if (!k || k->type != YAML_SCALAR_NODE || !v) continue;
    okta_buf_printf(&key, "%s%s%s", prefix, *prefix ? "." : "", (char *)k->data.scalar.value);
    if (key.oom) return okta_strdup("out of memory reading okta.yaml");
    if (v->type == YAML_MAPPING_NODE) {
      /* Only setting groups (rateLimit, cache) nest: anything else is an
      ** unknown key, reported before walking into it. */
      if (!is_setting_group(key.p)) {
        okta_buf e = {0};
        okta_buf_printf(&e, "%s: unknown key okta.client.%s", w->path, key.p);
        okta_buf_free(&key);
        return okta_buf_take(&e);
      }
      err = apply_map(w, v, key.p, depth + 1);
      okta_buf_free(&key);
      if (err) return err;
      continue;
    }
    int id = okta_setting_find(key.p);
    if (id < 0 || strchr(key.p, '_')) {
      okta_buf e = {0};
      okta_buf_printf(&e, "%s: unknown key okta.client.%s", w->path, key.p);
      okta_buf_free(&key);
      return okta_buf_take(&e);
    }
    if (v->type == YAML_SEQUENCE_NODE) {
      for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(w->doc, *it);
        if (++w->visits > MAX_VISITS) break;
        if (!e || e->type != YAML_SCALAR_NODE) continue;
        if (val.n) okta_buf_puts(&val, ",");
        okta_buf_puts(&val, (char *)e->data.scalar.value);
      }
    } else {
      okta_buf_puts(&val, (char *)v->data.scalar.value);
    }
    okta_buf e = {0};
    okta_buf_printf(&e, "%s: okta.client", w->path);
    err = val.n ? okta_setting_check(id, val.p, e.p) : NULL;
    okta_buf_free(&e);
    if (!err && val.n) {
      okta_config_set(w->cfg, id, val.p, w->source, w->path);
      if (okta_settings[id].type == ST_SECRET) w->secret_keys++;
    }
    okta_buf_free(&key);
    okta_buf_free(&val);
    if (err) return err;
  }
  w->stack[depth] = NULL;
  return NULL;
}

/* Overwrites the parsed scalars: the token was in them. */
static void wipe_document(yaml_document_t *doc) {
  for (yaml_node_t *n = doc->nodes.start; n && n < doc->nodes.top; n++) {
    if (n->type == YAML_SCALAR_NODE && n->data.scalar.value) okta_wipe(n->data.scalar.value, n->data.scalar.length);
  }
}

/* Overwrites the parser's input buffers, which held the file's text. */
static void wipe_parser(yaml_parser_t *p) {
  if (p->raw_buffer.start) okta_wipe(p->raw_buffer.start, (size_t)(p->raw_buffer.end - p->raw_buffer.start));
  if (p->buffer.start) okta_wipe(p->buffer.start, (size_t)(p->buffer.end - p->buffer.start));
}

/* Notes a warning in cfg (newline-separated). */
static void add_warning(okta_config *cfg, const char *text) {
  okta_buf b = {0};
  if (cfg->warnings) okta_buf_printf(&b, "%s\n", cfg->warnings);
  okta_buf_puts(&b, text);
  char *w = okta_buf_take(&b);
  if (!w) return;
  free(cfg->warnings);
  cfg->warnings = w;
}

/* Loads one okta.yaml into cfg; NULL on success or when the file is absent. */
char *okta_yaml_load(okta_config *cfg, const char *path, int source) {
  FILE *f = fopen(path, "rb");
  okta_buf e = {0};
  if (!f) {
    if (errno == ENOENT || errno == ENOTDIR) return NULL;
    okta_buf_printf(&e, "%s: cannot read: %s", path, strerror(errno));
    return okta_buf_take(&e);
  }
  setvbuf(f, NULL, _IONBF, 0); /* no stdio buffer left holding the token */
  int before = 0;
  for (int i = 0; i < CFG_COUNT; i++) before += cfg->source[i] == source && okta_settings[i].type == ST_SECRET;
  char *err = okta_yaml_load_stream(cfg, f, path, source);
  int secrets = 0;
  for (int i = 0; i < CFG_COUNT; i++) secrets += cfg->source[i] == source && okta_settings[i].type == ST_SECRET;
  struct stat st;
  if (!err && secrets > before && fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
    okta_buf_printf(&e, "%s holds a secret but is readable by %s: chmod 600 %s", path,
                    (st.st_mode & 007) ? "others" : "its group", path);
    if (e.p) add_warning(cfg, e.p);
    okta_buf_free(&e);
  }
  fclose(f);
  return err;
}

/* Loads okta.yaml text from an open stream (path names it in errors). */
char *okta_yaml_load_stream(okta_config *cfg, FILE *f, const char *path, int source) {
  okta_buf e = {0};
  yaml_parser_t parser;
  yaml_document_t doc;
  char *err = NULL;
  if (!yaml_parser_initialize(&parser)) return okta_strdup("out of memory reading okta.yaml");
  yaml_parser_set_input_file(&parser, f);
  if (!yaml_parser_load(&parser, &doc)) {
    okta_buf_printf(&e, "%s: malformed YAML at line %lu: %s", path,
                    (unsigned long)parser.problem_mark.line + 1,
                    parser.problem ? parser.problem : "parse error");
    err = okta_buf_take(&e);
  } else {
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    yaml_node_t *client = map_get(&doc, map_get(&doc, root, "okta"), "client");
    if (root && !client) {
      okta_buf_printf(&e, "%s: expected an okta: client: mapping", path);
      err = okta_buf_take(&e);
    } else if (client && client->type != YAML_MAPPING_NODE) {
      okta_buf_printf(&e, "%s: okta.client must be a mapping", path);
      err = okta_buf_take(&e);
    } else if (client) {
      yaml_walk w = {.cfg = cfg, .doc = &doc, .path = path, .source = source};
      err = apply_map(&w, client, "", 0);
    }
    wipe_document(&doc);
    yaml_document_delete(&doc);
  }
  okta_buf_free(&e);
  wipe_parser(&parser);
  yaml_parser_delete(&parser);
  return err;
}
