/*
** Settings: every knob of the extension, where its value came from, and the
** effective configuration of one connection.
**
** Sources, later ones winning: built-in default, ~/.okta/okta.yaml,
** ./.okta.yaml, environment variables, okta_config(key, value) in SQL.
**
** Credentials stay bound to the org they were configured with: the token
** (or clientId and privateKey) must come from the layer that set the
** effective orgUrl and caFile, or from a higher one; and an orgUrl or
** caFile from ./.okta.yaml (a file in whatever directory the user runs
** in) is only used with credentials from that same file. Anything else is
** an error naming both layers.
*/
#ifndef OKTA_CONFIG_H
#define OKTA_CONFIG_H

#include "okta.h"

enum okta_setting {
  CFG_ORG_URL,
  CFG_TOKEN,
  CFG_AUTH_MODE,
  CFG_CLIENT_ID,
  CFG_SCOPES,
  CFG_PRIVATE_KEY,
  CFG_PRIVATE_KEY_ID,
  CFG_PRIVATE_KEY_PASSPHRASE,
  CFG_REQUEST_TIMEOUT,
  CFG_CONNECT_TIMEOUT,
  CFG_MAX_RETRIES,
  CFG_MAX_BACKOFF,
  CFG_BACKOFF_BASE,
  CFG_RATE_RESERVE,
  CFG_CONCURRENCY,
  CFG_CACHE_ENABLED,
  CFG_CACHE_TTL,
  CFG_CACHE_MAX_MB,
  CFG_CA_FILE,
  CFG_MAX_RESPONSE_MB,
  CFG_TRACE,
  CFG_PROGRESS,
  CFG_COUNT
};

enum okta_setting_type { ST_STRING, ST_SECRET, ST_INT, ST_REAL, ST_BOOL, ST_ENUM };
enum okta_setting_source { SRC_DEFAULT, SRC_YAML_HOME, SRC_YAML_CWD, SRC_ENV, SRC_SQL };

typedef struct okta_setting_def {
  const char *key;   /* okta_config() / okta.yaml name (below okta.client) */
  const char *env;   /* environment variable */
  int type;
  const char *def;   /* default as text; NULL when unset by default */
  double min, max;   /* bounds for numbers */
  const char *choices; /* ST_ENUM: '|'-separated, case-insensitive */
  const char *doc;
} okta_setting_def;

extern const okta_setting_def okta_settings[CFG_COUNT];

typedef struct okta_config {
  char *value[CFG_COUNT];   /* effective text (NULL = unset) */
  int source[CFG_COUNT];    /* enum okta_setting_source */
  char *where[CFG_COUNT];   /* file name for YAML sources */
  char *org_url;            /* normalised origin */
  char *warnings;           /* newline-separated, e.g. a secret in a readable file */
} okta_config;

/* A list of okta_config(key, value) overrides of one connection. */
typedef struct okta_override {
  int key;
  char *value;              /* NULL resets to lower sources */
  struct okta_override *next;
} okta_override;

/* Looks a setting up by key (case-insensitive) or by environment name. */
int okta_setting_find(const char *key);
/* Checks a textual value for a setting; NULL when fine, else a malloc'd
** message naming the source and the problem. */
char *okta_setting_check(int key, const char *value, const char *source);

/* Builds the effective configuration. Returns NULL on success, else a
** malloc'd error that names the variable or file and key to fix. */
char *okta_config_load(okta_config *cfg, const okta_override *sql);
void okta_config_clear(okta_config *cfg);
/* okta.yaml loading (yaml.c); NULL on success. */
char *okta_yaml_load(okta_config *cfg, const char *path, int source);
#include <stdio.h>
char *okta_yaml_load_stream(okta_config *cfg, FILE *f, const char *path, int source);

const char *okta_config_str(const okta_config *cfg, int key);
long okta_config_int(const okta_config *cfg, int key);
double okta_config_real(const okta_config *cfg, int key);
int okta_config_bool(const okta_config *cfg, int key);
const char *okta_source_name(int source);
/* Appends where a setting's value came from: the file, the environment
** variable, okta_config('key') or "default". */
void okta_config_layer(okta_buf *b, const okta_config *cfg, int key);
/* Appends a setting's value as shown to people: secrets only say whether
** they are set, and a URL's user info is hidden. */
void okta_config_show(okta_buf *b, const okta_config *cfg, int key);
/* Sets one value with its source (the old value is wiped when secret). */
void okta_config_set(okta_config *cfg, int key, const char *v, int source, const char *where);

#endif
