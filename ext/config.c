/*
** Settings and their sources.
*/
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Every setting; keys follow the Okta SDK's okta.yaml names where one exists. */
const okta_setting_def okta_settings[CFG_COUNT] = {
  [CFG_ORG_URL] = {"orgUrl", "OKTA_CLIENT_ORGURL", ST_STRING, NULL, 0, 0, NULL,
                   "Okta org URL, e.g. https://acme.okta.com"},
  [CFG_TOKEN] = {"token", "OKTA_CLIENT_TOKEN", ST_SECRET, NULL, 0, 0, NULL,
                 "API token (SSWS)"},
  [CFG_AUTH_MODE] = {"authorizationMode", "OKTA_CLIENT_AUTHORIZATIONMODE", ST_ENUM, "SSWS",
                     0, 0, "SSWS|PrivateKey", "SSWS (API token) or PrivateKey (OAuth 2.0 service app)"},
  [CFG_CLIENT_ID] = {"clientId", "OKTA_CLIENT_CLIENTID", ST_STRING, NULL, 0, 0, NULL,
                     "OAuth 2.0 service app client id"},
  [CFG_SCOPES] = {"scopes", "OKTA_CLIENT_SCOPES", ST_STRING, NULL, 0, 0, NULL,
                  "OAuth scopes, comma separated (default: the read scopes the tables need)"},
  [CFG_PRIVATE_KEY] = {"privateKey", "OKTA_CLIENT_PRIVATEKEY", ST_SECRET, NULL, 0, 0, NULL,
                       "PEM private key text or a path to a PEM file"},
  [CFG_PRIVATE_KEY_ID] = {"privateKeyId", "OKTA_CLIENT_PRIVATEKEYID", ST_STRING, NULL, 0, 0, NULL,
                          "key id (kid) of the private key"},
  [CFG_PRIVATE_KEY_PASSPHRASE] = {"privateKeyPassphrase", "OKTA_SQLITE_PRIVATEKEY_PASSPHRASE", ST_SECRET, NULL, 0, 0,
                                  NULL, "passphrase of an encrypted privateKey (never asked for on a terminal)"},
  [CFG_REQUEST_TIMEOUT] = {"requestTimeout", "OKTA_CLIENT_REQUEST_TIMEOUT", ST_INT, "120", 0, 86400, NULL,
                           "seconds one request may take, retries included (0: no limit)"},
  [CFG_CONNECT_TIMEOUT] = {"connectionTimeout", "OKTA_CLIENT_CONNECTION_TIMEOUT", ST_INT, "10", 1, 600, NULL,
                           "seconds to establish a connection"},
  [CFG_MAX_RETRIES] = {"rateLimit.maxRetries", "OKTA_CLIENT_RATE_LIMIT_MAX_RETRIES", ST_INT, "4", 0, 100, NULL,
                       "retries of one request after a 429, 5xx or transport error"},
  [CFG_MAX_BACKOFF] = {"rateLimit.maxBackoff", "OKTA_CLIENT_RATE_LIMIT_MAX_BACKOFF", ST_INT, "60", 1, 3600, NULL,
                       "longest wait before a retry, in seconds"},
  [CFG_BACKOFF_BASE] = {"rateLimit.backoffBase", "OKTA_SQLITE_BACKOFF_BASE", ST_REAL, "0.5", 0.001, 60, NULL,
                        "first backoff after a 5xx or transport error, in seconds (doubles per retry)"},
  [CFG_RATE_RESERVE] = {"rateLimit.reserve", "OKTA_SQLITE_RATE_LIMIT_RESERVE", ST_INT, "20", 0, 90, NULL,
                        "percent of each rate limit left to the org's other clients"},
  [CFG_CONCURRENCY] = {"concurrency", "OKTA_SQLITE_CONCURRENCY", ST_INT, "16", 1, 75, NULL,
                       "requests in flight at once"},
  [CFG_CACHE_ENABLED] = {"cache.enabled", "OKTA_SQLITE_CACHE", ST_BOOL, "true", 0, 0, NULL,
                         "keep responses for reuse within the TTL"},
  [CFG_CACHE_TTL] = {"cache.ttl", "OKTA_SQLITE_CACHE_TTL", ST_INT, "300", 0, 86400, NULL,
                     "seconds a cached response stays fresh"},
  [CFG_CACHE_MAX_MB] = {"cache.maxMemory", "OKTA_SQLITE_CACHE_MAX_MB", ST_INT, "64", 1, 65536, NULL,
                        "memory budget of the response cache, in MiB"},
  [CFG_CA_FILE] = {"caFile", "OKTA_SQLITE_CA_FILE", ST_STRING, NULL, 0, 0, NULL,
                   "PEM file of CA certificates to trust instead of the system store"},
  [CFG_MAX_RESPONSE_MB] = {"maxResponseSize", "OKTA_SQLITE_MAX_RESPONSE_MB", ST_INT, "64", 1, 4096, NULL,
                           "largest response body accepted, in MiB"},
  [CFG_TRACE] = {"trace", "OKTA_SQLITE_TRACE", ST_BOOL, "false", 0, 0, NULL,
                 "print every request to stderr (Authorization is never printed)"},
  [CFG_PROGRESS] = {"progress", "OKTA_SQLITE_PROGRESS", ST_ENUM, "auto", 0, 0, "auto|on|off",
                    "progress on stderr: auto (when stderr is a terminal), on, off"},
};

/* Finds a setting by key or environment variable name, -1 if unknown. */
int okta_setting_find(const char *key) {
  for (int i = 0; i < CFG_COUNT; i++) {
    if (strcasecmp(key, okta_settings[i].key) == 0 || strcasecmp(key, okta_settings[i].env) == 0)
      return i;
  }
  return -1;
}

/* Parses a boolean spelled 1/0, true/false, yes/no, on/off. */
static int parse_bool(const char *v, int *out) {
  static const char *yes[] = {"1", "true", "yes", "on"}, *no[] = {"0", "false", "no", "off"};
  for (int i = 0; i < 4; i++) {
    if (strcasecmp(v, yes[i]) == 0) { *out = 1; return 0; }
    if (strcasecmp(v, no[i]) == 0) { *out = 0; return 0; }
  }
  return -1;
}

/* Validates a value for a setting; NULL when acceptable. */
char *okta_setting_check(int key, const char *v, const char *source) {
  const okta_setting_def *d = &okta_settings[key];
  okta_buf b = {0};
  switch (d->type) {
    case ST_INT:
    case ST_REAL: {
      char *end;
      errno = 0;
      double x = strtod(v, &end);
      while (end && isspace((unsigned char)*end)) end++;
      if (!*v || errno || *end || !isfinite(x)) {
        okta_buf_printf(&b, "%s: %s must be a number, got '%s'", source, d->key, v);
      } else if (d->type == ST_INT && x != floor(x)) {
        okta_buf_printf(&b, "%s: %s must be a whole number, got '%s'", source, d->key, v);
      } else if (x < d->min || x > d->max) {
        okta_buf_printf(&b, "%s: %s must be between %g and %g, got '%s'", source, d->key,
                        d->min, d->max, v);
      }
      break;
    }
    case ST_BOOL: {
      int tmp;
      if (parse_bool(v, &tmp))
        okta_buf_printf(&b, "%s: %s must be true or false, got '%s'", source, d->key, v);
      break;
    }
    case ST_ENUM:
      if (!okta_list_has(d->choices, v, 1))
        okta_buf_printf(&b, "%s: %s must be one of %s, got '%s'", source, d->key, d->choices, v);
      break;
    default:
      break;
  }
  return b.n ? okta_buf_take(&b) : (okta_buf_free(&b), NULL);
}

/* Frees a setting's value; a secret's bytes are wiped first. */
static void value_free(int key, char *v) {
  if (okta_settings[key].type == ST_SECRET) okta_wipe_free(v);
  else free(v);
}

/* Sets one value with its source, replacing what a lower source gave. */
void okta_config_set(okta_config *cfg, int key, const char *v, int source, const char *where) {
  value_free(key, cfg->value[key]);
  free(cfg->where[key]);
  cfg->value[key] = okta_strdup(v);
  cfg->source[key] = source;
  cfg->where[key] = okta_strdup(where);
}

/* Frees everything a configuration holds. */
void okta_config_clear(okta_config *cfg) {
  for (int i = 0; i < CFG_COUNT; i++) {
    value_free(i, cfg->value[i]);
    free(cfg->where[i]);
  }
  free(cfg->org_url);
  free(cfg->warnings);
  memset(cfg, 0, sizeof(*cfg));
}

/* Where a setting came from, as the user would name it. */
void okta_config_layer(okta_buf *b, const okta_config *cfg, int key) {
  switch (cfg->source[key]) {
    case SRC_YAML_HOME:
    case SRC_YAML_CWD: okta_buf_puts(b, cfg->where[key] ? cfg->where[key] : okta_source_name(cfg->source[key])); break;
    case SRC_ENV: okta_buf_puts(b, okta_settings[key].env); break;
    case SRC_SQL: okta_buf_printf(b, "okta_config('%s')", okta_settings[key].key); break;
    default: okta_buf_puts(b, "default"); break;
  }
}

/* A value as shown to people: never a secret, never a URL's user info. */
void okta_config_show(okta_buf *b, const okta_config *cfg, int key) {
  const char *v = cfg->value[key];
  if (!v) {
    okta_buf_puts(b, "(unset)");
  } else if (okta_settings[key].type == ST_SECRET) {
    okta_buf_puts(b, "(set, hidden)");
  } else if (key == CFG_ORG_URL || strstr(v, "://")) {
    char *shown = okta_url_display(v);
    okta_buf_puts(b, shown ? shown : "?");
    free(shown);
  } else {
    okta_buf_puts(b, v);
  }
}

/* The credential settings the auth mode sends (or signs with). */
static int credential_keys(const okta_config *cfg, int keys[2]) {
  const char *mode = cfg->value[CFG_AUTH_MODE];
  if (mode && strcasecmp(mode, "PrivateKey") == 0) {
    keys[0] = CFG_CLIENT_ID;
    keys[1] = CFG_PRIVATE_KEY;
    return 2;
  }
  keys[0] = CFG_TOKEN;
  return 1;
}

/* Checks that the credentials are bound to the org URL and CA file they
** go with (see config.h); NULL when they are, else the error. */
static char *check_binding(const okta_config *cfg) {
  static const int anchors[] = {CFG_ORG_URL, CFG_CA_FILE};
  int keys[2], nkeys = credential_keys(cfg, keys);
  okta_buf b = {0}, a = {0}, k = {0};
  for (size_t i = 0; i < sizeof(anchors) / sizeof(anchors[0]) && !b.n; i++) {
    int an = anchors[i];
    if (!cfg->value[an] || cfg->source[an] == SRC_DEFAULT) continue;
    for (int j = 0; j < nkeys && !b.n; j++) {
      int key = keys[j];
      if (!cfg->value[key]) continue;
      int below = cfg->source[key] < cfg->source[an];
      int cwd = cfg->source[an] == SRC_YAML_CWD && cfg->source[key] != SRC_YAML_CWD;
      if (!below && !cwd) continue;
      okta_config_layer(&a, cfg, an);
      okta_config_layer(&k, cfg, key);
      if (below) {
        okta_buf_printf(&b, "%s sets %s but not %s (it comes from %s): credentials are only sent to the org "
                            "they were configured with; set %s in the same place as %s",
                        a.p, okta_settings[an].key, okta_settings[key].key, k.p, okta_settings[key].key,
                        okta_settings[an].key);
      } else {
        okta_buf_printf(&b, "%s sets %s, so %s must come from that file too, not from %s: a project's "
                            ".okta.yaml may not send your credentials to an org (or through a CA) of its choosing; "
                            "set %s in the same place as %s",
                        a.p, okta_settings[an].key, okta_settings[key].key, k.p, okta_settings[an].key,
                        okta_settings[key].key);
      }
    }
  }
  okta_buf_free(&a);
  okta_buf_free(&k);
  return b.n ? okta_buf_take(&b) : (okta_buf_free(&b), NULL);
}

/* Resolves every source into cfg. */
char *okta_config_load(okta_config *cfg, const okta_override *sql) {
  char *err = NULL;
  okta_config_clear(cfg);
  for (int i = 0; i < CFG_COUNT; i++) {
    if (okta_settings[i].def) okta_config_set(cfg, i, okta_settings[i].def, SRC_DEFAULT, NULL);
  }
  const char *home = getenv("HOME");
  if (home && *home) {
    okta_buf p = {0};
    okta_buf_printf(&p, "%s/.okta/okta.yaml", home);
    err = okta_yaml_load(cfg, p.p, SRC_YAML_HOME);
    okta_buf_free(&p);
    if (err) return err;
  }
  if ((err = okta_yaml_load(cfg, ".okta.yaml", SRC_YAML_CWD))) return err;
  for (int i = 0; i < CFG_COUNT; i++) {
    const char *v = getenv(okta_settings[i].env);
    if (!v || !*v) continue;
    if ((err = okta_setting_check(i, v, okta_settings[i].env))) return err;
    okta_config_set(cfg, i, v, SRC_ENV, okta_settings[i].env);
  }
  /* The override list is newest first: apply oldest first. */
  const okta_override *stack[CFG_COUNT * 4];
  int n = 0;
  for (const okta_override *o = sql; o && n < (int)(sizeof(stack) / sizeof(stack[0])); o = o->next)
    stack[n++] = o;
  while (n-- > 0) {
    if (stack[n]->value) okta_config_set(cfg, stack[n]->key, stack[n]->value, SRC_SQL, "okta_config()");
  }

  const char *org = cfg->value[CFG_ORG_URL];
  okta_buf b = {0}, src = {0};
  switch (cfg->source[CFG_ORG_URL]) {
    case SRC_SQL: okta_buf_puts(&src, "okta_config('orgUrl')"); break;
    case SRC_YAML_HOME:
    case SRC_YAML_CWD: okta_buf_printf(&src, "%s: okta.client.orgUrl", cfg->where[CFG_ORG_URL]); break;
    default: okta_buf_puts(&src, "OKTA_CLIENT_ORGURL"); break;
  }
  const char *org_src = src.p ? src.p : "OKTA_CLIENT_ORGURL";
  if (!org || !*org) {
    okta_buf_free(&src);
    okta_buf_puts(&b, "OKTA_CLIENT_ORGURL is not set: set it to your Okta org, e.g. "
                      "export OKTA_CLIENT_ORGURL=https://acme.okta.com");
    return okta_buf_take(&b);
  }
  const char *why;
  cfg->org_url = okta_normalize_org_url(org, &why);
  if (!cfg->org_url) {
    char *shown = okta_url_display(org);
    okta_buf_printf(&b, "%s '%s' %s", org_src, shown ? shown : "?", why);
    free(shown);
    okta_buf_free(&src);
    return okta_buf_take(&b);
  }
  okta_buf_free(&src);
  int private_key = strcasecmp(okta_config_str(cfg, CFG_AUTH_MODE), "PrivateKey") == 0;
  if (!private_key) {
    const char *t = cfg->value[CFG_TOKEN];
    if (!t || !*t) {
      okta_buf_puts(&b, "OKTA_CLIENT_TOKEN is not set: create an API token in the Okta admin "
                        "console (Security > API > Tokens) and export OKTA_CLIENT_TOKEN");
      return okta_buf_take(&b);
    }
    for (const char *c = t; *c; c++) {
      if ((unsigned char)*c < 0x21 || (unsigned char)*c > 0x7e) {
        okta_buf_puts(&b, "OKTA_CLIENT_TOKEN contains spaces or control characters "
                          "(check for a stray newline or quote)");
        return okta_buf_take(&b);
      }
    }
  } else {
    if (!cfg->value[CFG_CLIENT_ID] || !*cfg->value[CFG_CLIENT_ID]) {
      okta_buf_puts(&b, "OKTA_CLIENT_CLIENTID is not set: PrivateKey authorization needs the "
                        "service app's client id");
      return okta_buf_take(&b);
    }
    if (!cfg->value[CFG_PRIVATE_KEY] || !*cfg->value[CFG_PRIVATE_KEY]) {
      okta_buf_puts(&b, "OKTA_CLIENT_PRIVATEKEY is not set: PrivateKey authorization needs "
                        "the PEM private key (text or file path)");
      return okta_buf_take(&b);
    }
  }
  okta_buf_free(&b);
  return check_binding(cfg);
}

/* Text value of a setting (NULL when unset). */
const char *okta_config_str(const okta_config *cfg, int key) { return cfg->value[key]; }

/* Integer value of a numeric setting. */
long okta_config_int(const okta_config *cfg, int key) {
  const char *v = cfg->value[key];
  return v ? (long)strtod(v, NULL) : 0;
}

/* Real value of a numeric setting. */
double okta_config_real(const okta_config *cfg, int key) {
  const char *v = cfg->value[key];
  return v ? strtod(v, NULL) : 0;
}

/* Boolean value of a setting. */
int okta_config_bool(const okta_config *cfg, int key) {
  int b = 0;
  const char *v = cfg->value[key];
  return v && parse_bool(v, &b) == 0 ? b : 0;
}

/* Human name of a source, for okta_debug(). */
const char *okta_source_name(int source) {
  switch (source) {
    case SRC_YAML_HOME: return "~/.okta/okta.yaml";
    case SRC_YAML_CWD: return "./.okta.yaml";
    case SRC_ENV: return "environment";
    case SRC_SQL: return "okta_config()";
    default: return "default";
  }
}
