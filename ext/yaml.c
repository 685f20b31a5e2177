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
*/
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

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
static char *apply_map(okta_config *cfg, yaml_document_t *doc, yaml_node_t *map,
                       const char *prefix, const char *path, int source) {
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(doc, p->key);
    yaml_node_t *v = yaml_document_get_node(doc, p->value);
    okta_buf key = {0}, val = {0};
    char *err = NULL;
    if (!k || k->type != YAML_SCALAR_NODE || !v) continue;
    okta_buf_printf(&key, "%s%s%s", prefix, *prefix ? "." : "", (char *)k->data.scalar.value);
    if (v->type == YAML_MAPPING_NODE) {
      err = apply_map(cfg, doc, v, key.p, path, source);
      okta_buf_free(&key);
      if (err) return err;
      continue;
    }
    int id = okta_setting_find(key.p);
    if (id < 0 || strchr(key.p, '_')) {
      okta_buf e = {0};
      okta_buf_printf(&e, "%s: unknown key okta.client.%s", path, key.p);
      okta_buf_free(&key);
      return okta_buf_take(&e);
    }
    if (v->type == YAML_SEQUENCE_NODE) {
      for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(doc, *it);
        if (!e || e->type != YAML_SCALAR_NODE) continue;
        if (val.n) okta_buf_puts(&val, ",");
        okta_buf_puts(&val, (char *)e->data.scalar.value);
      }
    } else {
      okta_buf_puts(&val, (char *)v->data.scalar.value);
    }
    okta_buf e = {0};
    okta_buf_printf(&e, "%s: okta.client", path);
    err = val.n ? okta_setting_check(id, val.p, e.p) : NULL;
    okta_buf_free(&e);
    if (!err && val.n) {
      free(cfg->value[id]);
      free(cfg->where[id]);
      cfg->value[id] = okta_strdup(val.p);
      cfg->source[id] = source;
      cfg->where[id] = okta_strdup(path);
    }
    okta_buf_free(&key);
    okta_buf_free(&val);
    if (err) return err;
  }
  return NULL;
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
  char *err = okta_yaml_load_stream(cfg, f, path, source);
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
      err = apply_map(cfg, &doc, client, "", path, source);
    }
    yaml_document_delete(&doc);
  }
  okta_buf_free(&e);
  yaml_parser_delete(&parser);
  return err;
}
