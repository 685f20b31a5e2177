/*
** okta-sqlite3: a small SQLite shell with sqlite-okta built in, for hosts
** that cannot load extensions. SQLite and the extension are linked in
** statically (make static); every connection gets the okta_* tables.
**
**   okta-sqlite3 [-bail] [-cmd CMD]... [-box|-csv|-json|-line|-list] [-header]
**                [DATABASE [SQL]...]
**
** Reads SQL from the arguments, or from stdin. Dot-commands: .mode
** (box csv json line list), .headers on|off, .parameter set NAME VALUE,
** .parameter clear, .bail on|off, .read FILE, .once FILE, .help, .quit.
*/
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

int sqlite3_okta_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);

enum { M_LIST, M_CSV, M_JSON, M_BOX, M_LINE };

typedef struct param {
  char *name;
  char *value;
  struct param *next;
} param;

static struct {
  sqlite3 *db;
  int mode, headers, bail;
  FILE *out;
  int once;
  param *params;
} sh = {NULL, M_LIST, 0, 0, NULL, 0, NULL};

/* Display width of UTF-8 text (East Asian wide characters count twice). */
static size_t text_width(const char *s) {
  size_t w = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    unsigned cp = *p;
    int len = cp < 0x80 ? 1 : cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;
    if (len > 1) {
      cp &= 0x3F >> (len - 1);
      for (int i = 1; i < len && p[i]; i++) cp = cp << 6 | (p[i] & 0x3F);
    }
    w += (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
                 (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0x20000 && cp <= 0x3FFFD)
             ? 2
             : 1;
    for (int i = 0; i < len && *p; i++) p++;
  }
  return w;
}

static void json_string(const char *s) {
  fputc('"', sh.out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(sh.out, "\\%c", *p);
    else if (*p < 0x20) fprintf(sh.out, "\\u%04x", *p);
    else fputc(*p, sh.out);
  }
  fputc('"', sh.out);
}

static void csv_field(const char *s) {
  if (strpbrk(s, ",\"\r\n")) {
    fputc('"', sh.out);
    for (; *s; s++) {
      if (*s == '"') fputc('"', sh.out);
      fputc(*s, sh.out);
    }
    fputc('"', sh.out);
  } else {
    fputs(s, sh.out);
  }
}

/* One horizontal rule of a box table. */
static void box_rule(const size_t *w, int ncol, const char *left, const char *mid, const char *right) {
  fputs(left, sh.out);
  for (int c = 0; c < ncol; c++) {
    for (size_t i = 0; i < w[c] + 2; i++) fputs("─", sh.out);
    fputs(c + 1 < ncol ? mid : right, sh.out);
  }
  fputc('\n', sh.out);
}

/* One row of a box table; the header row is centred. */
static void box_row(char **row, const size_t *w, int ncol, int centre) {
  fputs("│", sh.out);
  for (int c = 0; c < ncol; c++) {
    size_t pad = w[c] - text_width(row[c]);
    size_t before = centre ? pad / 2 : 0;
    fprintf(sh.out, "%*s%s%*s│", (int)before + 1, "", row[c], (int)(pad - before) + 1, "");
  }
  fputc('\n', sh.out);
}

/* Box mode needs every row before printing: widths come from all of them.
** cells holds the header row then nrow rows. */
static void print_box(char **cells, int ncol, int nrow) {
  size_t *w = calloc((size_t)ncol, sizeof(size_t));
  for (int r = 0; r <= nrow; r++) {
    for (int c = 0; c < ncol; c++) {
      size_t x = text_width(cells[r * ncol + c]);
      if (x > w[c]) w[c] = x;
    }
  }
  box_rule(w, ncol, "┌", "┬", "┐");
  box_row(cells, w, ncol, 1);
  box_rule(w, ncol, "├", "┼", "┤");
  for (int r = 1; r <= nrow; r++) box_row(cells + r * ncol, w, ncol, 0);
  box_rule(w, ncol, "└", "┴", "┘");
  free(w);
}

/* Runs one statement and prints its rows in the current mode. */
static int run_statement(sqlite3_stmt *st) {
  for (int i = 1; i <= sqlite3_bind_parameter_count(st); i++) {
    const char *name = sqlite3_bind_parameter_name(st, i);
    for (param *p = sh.params; name && p; p = p->next) {
      if (strcmp(p->name, name) != 0) continue;
      char *end;
      long long v = strtoll(p->value, &end, 10);
      if (*p->value && !*end) sqlite3_bind_int64(st, i, v);
      else sqlite3_bind_text(st, i, p->value, -1, SQLITE_STATIC);
    }
  }
  int ncol = sqlite3_column_count(st), nrow = 0, rc;
  char **box = NULL;
  if (sh.mode == M_BOX && ncol) {
    box = malloc(sizeof(char *) * (size_t)ncol);
    for (int c = 0; c < ncol; c++) box[c] = strdup(sqlite3_column_name(st, c));
  }
  if (sh.mode == M_JSON && ncol) fputc('[', sh.out);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (sh.mode == M_BOX) {
      box = realloc(box, sizeof(char *) * (size_t)ncol * (size_t)(nrow + 2));
      for (int c = 0; c < ncol; c++) {
        const char *v = (const char *)sqlite3_column_text(st, c);
        box[(nrow + 1) * ncol + c] = strdup(v ? v : "");
      }
    } else if (sh.mode == M_JSON) {
      fputs(nrow ? ",\n{" : "{", sh.out);
      for (int c = 0; c < ncol; c++) {
        if (c) fputc(',', sh.out);
        json_string(sqlite3_column_name(st, c));
        fputc(':', sh.out);
        int t = sqlite3_column_type(st, c);
        if (t == SQLITE_NULL) fputs("null", sh.out);
        else if (t == SQLITE_INTEGER || t == SQLITE_FLOAT) fputs((const char *)sqlite3_column_text(st, c), sh.out);
        else json_string((const char *)sqlite3_column_text(st, c));
      }
      fputc('}', sh.out);
    } else {
      if (nrow == 0 && sh.headers && sh.mode != M_LINE) {
        for (int c = 0; c < ncol; c++) {
          if (c) fputc(sh.mode == M_CSV ? ',' : '|', sh.out);
          if (sh.mode == M_CSV) csv_field(sqlite3_column_name(st, c));
          else fputs(sqlite3_column_name(st, c), sh.out);
        }
        fputc('\n', sh.out);
      }
      for (int c = 0; c < ncol; c++) {
        const char *v = (const char *)sqlite3_column_text(st, c);
        if (sh.mode == M_LINE) {
          fprintf(sh.out, "%s = %s\n", sqlite3_column_name(st, c), v ? v : "");
          continue;
        }
        if (c) fputc(sh.mode == M_CSV ? ',' : '|', sh.out);
        if (sh.mode == M_CSV) csv_field(v ? v : "");
        else fputs(v ? v : "", sh.out);
      }
      fputc('\n', sh.out);
    }
    nrow++;
  }
  if (sh.mode == M_JSON && ncol && nrow) fputs("]\n", sh.out);
  if (box) {
    if (rc == SQLITE_DONE && nrow) print_box(box, ncol, nrow);
    for (int i = 0; i < ncol * (nrow + 1); i++) free(box[i]);
    free(box);
  }
  return rc == SQLITE_DONE ? 0 : -1;
}

/* Runs every statement of sql; reports errors. */
static int run_sql(const char *sql) {
  while (sql && *sql) {
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    if (sqlite3_prepare_v2(sh.db, sql, -1, &st, &tail) != SQLITE_OK) {
      fprintf(stderr, "Error: %s\n", sqlite3_errmsg(sh.db));
      return -1;
    }
    int rc = st ? run_statement(st) : 0;
    sqlite3_finalize(st);
    if (rc) {
      fprintf(stderr, "Error: %s\n", sqlite3_errmsg(sh.db));
      return -1;
    }
    sql = tail;
  }
  return 0;
}

static int run_file(FILE *in);

/* Runs a dot-command: up to three words, then the rest of the line. */
static int dot_command(char *line) {
  char *argv[4] = {0};
  int argc = 0;
  char *p = line;
  while (argc < 4) {
    while (*p == ' ' || *p == '\t') p++;
    if (!*p || *p == '\n' || *p == '\r') break;
    argv[argc++] = p;
    if (argc == 4) {
      p[strcspn(p, "\r\n")] = 0;
      break;
    }
    p += strcspn(p, " \t\r\n");
    if (*p) *p++ = 0;
  }
  if (!argc) return 0;
  const char *cmd = argv[0] + 1;
  if (!strcmp(cmd, "quit") || !strcmp(cmd, "exit")) exit(0);
  if (!strcmp(cmd, "mode") && argc > 1) {
    const char *m[] = {"list", "csv", "json", "box", "line"};
    for (int i = 0; i < 5; i++) {
      if (!strcmp(argv[1], m[i])) { sh.mode = i; return 0; }
    }
  } else if (!strcmp(cmd, "headers") && argc > 1) {
    sh.headers = !strcmp(argv[1], "on");
    return 0;
  } else if (!strcmp(cmd, "bail") && argc > 1) {
    sh.bail = !strcmp(argv[1], "on");
    return 0;
  } else if (!strcmp(cmd, "parameter") && argc > 1) {
    if (!strcmp(argv[1], "clear")) {
      while (sh.params) {
        param *p = sh.params;
        sh.params = p->next;
        free(p->name);
        free(p->value);
        free(p);
      }
      return 0;
    }
    if (!strcmp(argv[1], "set") && argc > 3) {
      param *p = calloc(1, sizeof(*p));
      p->name = strdup(argv[2]);
      size_t n = strlen(argv[3]);
      p->value = (n >= 2 && argv[3][0] == '\'' && argv[3][n - 1] == '\'') ? strndup(argv[3] + 1, n - 2) : strdup(argv[3]);
      p->next = sh.params;
      sh.params = p;
      return 0;
    }
  } else if (!strcmp(cmd, "read") && argc > 1) {
    FILE *f = fopen(argv[1], "r");
    if (!f) { fprintf(stderr, "Error: cannot open %s\n", argv[1]); return -1; }
    int rc = run_file(f);
    fclose(f);
    return rc;
  } else if (!strcmp(cmd, "once") && argc > 1) {
    FILE *f = fopen(argv[1], "w");
    if (!f) { fprintf(stderr, "Error: cannot write %s\n", argv[1]); return -1; }
    sh.out = f;
    sh.once = 1;
    return 0;
  } else if (!strcmp(cmd, "help")) {
    fputs(".mode box|csv|json|line|list  .headers on|off  .parameter set NAME VALUE|clear\n"
          ".bail on|off  .read FILE  .once FILE  .quit\n", sh.out);
    return 0;
  }
  fprintf(stderr, "Error: unknown or incomplete command: %s\n", argv[0]);
  return -1;
}

/* Reads statements and dot-commands from a stream. */
static int run_file(FILE *in) {
  char line[65536];
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  int status = 0, tty = isatty(fileno(in));
  buf[0] = 0;
  for (;;) {
    if (tty) fputs(len ? "   ...> " : "okta> ", stdout);
    if (!fgets(line, sizeof(line), in)) break;
    if (!len && (line[0] == '\n' || strncmp(line, "--", 2) == 0)) continue; /* nothing pending: blank or comment */
    if (!len && line[0] == '.') {
      if (dot_command(line)) { status = 1; if (sh.bail) break; }
      continue;
    }
    size_t n = strlen(line);
    if (len + n + 1 > cap) buf = realloc(buf, cap = (len + n + 1) * 2);
    memcpy(buf + len, line, n + 1);
    len += n;
    if (sqlite3_complete(buf)) {
      if (run_sql(buf)) { status = 1; if (sh.bail) break; }
      if (sh.once) { fclose(sh.out); sh.out = stdout; sh.once = 0; }
      len = 0;
      buf[0] = 0;
    }
  }
  free(buf);
  return status;
}

int main(int argc, char **argv) {
  const char *dbname = ":memory:";
  int i = 1, status = 0;
  sh.out = stdout;
  sqlite3_auto_extension((void (*)(void))sqlite3_okta_init);
  const char *cmds[32];
  int ncmd = 0;
  for (; i < argc && argv[i][0] == '-'; i++) {
    const char *o = argv[i] + (argv[i][1] == '-');
    if (!strcmp(o, "-bail")) sh.bail = 1;
    else if (!strcmp(o, "-header")) sh.headers = 1;
    else if (!strcmp(o, "-box")) sh.mode = M_BOX;
    else if (!strcmp(o, "-csv")) sh.mode = M_CSV;
    else if (!strcmp(o, "-json")) sh.mode = M_JSON;
    else if (!strcmp(o, "-line")) sh.mode = M_LINE;
    else if (!strcmp(o, "-list")) sh.mode = M_LIST;
    else if (!strcmp(o, "-cmd") && i + 1 < argc && ncmd < 32) cmds[ncmd++] = argv[++i];
    else if (!strcmp(o, "-version")) { printf("%s (sqlite-okta built in)\n", sqlite3_libversion()); return 0; }
    else { fprintf(stderr, "usage: %s [-bail] [-cmd CMD] [-box|-csv|-json|-line|-list] [-header] [DB [SQL...]]\n", argv[0]); return 2; }
  }
  if (i < argc) dbname = argv[i++];
  if (sqlite3_open(dbname, &sh.db) != SQLITE_OK) {
    fprintf(stderr, "Error: cannot open %s: %s\n", dbname, sqlite3_errmsg(sh.db));
    return 1;
  }
  for (int c = 0; c < ncmd; c++) {
    char *copy = strdup(cmds[c]);
    int rc = copy[0] == '.' ? dot_command(copy) : run_sql(copy);
    free(copy);
    if (rc) { status = 1; if (sh.bail) goto done; }
  }
  if (i < argc) {
    for (; i < argc; i++) {
      if (run_sql(argv[i])) { status = 1; if (sh.bail) break; }
    }
  } else {
    status |= run_file(stdin);
  }
done:
  sqlite3_close(sh.db);
  return status;
}
