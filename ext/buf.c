/*
** Growable byte buffers, URL encoding and UTF-8 validation.
*/
#include "okta.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Makes room for n more bytes plus the terminating NUL. */
static int buf_reserve(okta_buf *b, size_t n) {
  if (b->oom) return 0;
  if (b->n + n + 1 <= b->cap) return 1;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->n + n + 1) {
    if (cap > ((size_t)-1) / 2) { b->oom = 1; return 0; }
    cap *= 2;
  }
  char *p;
  if (b->secret) {
    /* realloc would leave a copy of the secret in the old block. */
    p = malloc(cap);
    if (p && b->p) {
      memcpy(p, b->p, b->n + 1);
      okta_wipe(b->p, b->cap);
    }
    if (p) free(b->p);
  } else {
    p = realloc(b->p, cap);
  }
  if (!p) { b->oom = 1; return 0; }
  b->p = p;
  b->cap = cap;
  return 1;
}

/* Appends n bytes of s. */
void okta_buf_append(okta_buf *b, const char *s, size_t n) {
  if (!buf_reserve(b, n)) return;
  if (n) memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}

/* Appends a NUL-terminated string. */
void okta_buf_puts(okta_buf *b, const char *s) { okta_buf_append(b, s, strlen(s)); }

/* Appends printf-formatted text. */
void okta_buf_printf(okta_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int need = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (need < 0 || !buf_reserve(b, (size_t)need)) return;
  va_start(ap, fmt);
  vsnprintf(b->p + b->n, (size_t)need + 1, fmt, ap);
  va_end(ap);
  b->n += (size_t)need;
}

/* Appends s percent-encoded: only RFC 3986 unreserved characters stay. */
void okta_buf_urlencode(okta_buf *b, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char c = *p;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
      okta_buf_append(b, (const char *)p, 1);
    } else {
      char e[3] = {'%', hex[c >> 4], hex[c & 15]};
      okta_buf_append(b, e, 3);
    }
  }
}

/* Hands the contents to the caller (NULL after an allocation failure). */
char *okta_buf_take(okta_buf *b) {
  char *p = b->oom ? NULL : b->p;
  if (b->oom && b->secret && b->p) okta_wipe(b->p, b->cap);
  if (b->oom) free(b->p);
  if (p == NULL && !b->oom) p = okta_strdup("");
  b->p = NULL;
  b->n = b->cap = 0;
  b->oom = 0;
  return p;
}

/* Empties the buffer but keeps its memory. */
void okta_buf_reset(okta_buf *b) {
  if (b->secret && b->p) okta_wipe(b->p, b->n);
  b->n = 0;
  if (b->p) b->p[0] = 0;
}

/* Releases the buffer's memory (wiped first when it held a secret). */
void okta_buf_free(okta_buf *b) {
  if (b->secret && b->p) okta_wipe(b->p, b->cap);
  free(b->p);
  memset(b, 0, sizeof(*b));
}

/* explicit_bzero: a plain memset before free may be optimised away. */
void okta_wipe(void *p, size_t n) {
  if (p && n) explicit_bzero(p, n);
}

/* Wipes and frees a string that held a secret (NULL is fine). */
void okta_wipe_free(char *s) {
  if (!s) return;
  okta_wipe(s, strlen(s));
  free(s);
}

/* strdup that accepts NULL. */
char *okta_strdup(const char *s) { return s ? okta_strndup(s, strlen(s)) : NULL; }

/* Copies at most n bytes of s into a new NUL-terminated string. */
char *okta_strndup(const char *s, size_t n) {
  char *p = malloc(n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or values
** past U+10FFFF); otherwise 0 with the offset of the first bad byte. */
int okta_utf8_valid(const char *s, size_t n, size_t *bad_offset) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    /* Responses are mostly ASCII: skip it eight bytes at a time. */
    while (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= n) break;
    unsigned char c = p[i];
    if (c < 0x80) { i++; continue; }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else goto bad;
    if (i + len > n) goto bad;
    for (size_t k = 1; k < len; k++) {
      if ((p[i + k] & 0xC0) != 0x80) goto bad;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      goto bad;
    i += len;
  }
  return 1;
bad:
  if (bad_offset) *bad_offset = i;
  return 0;
}

/* Looks v up in a '|'-separated list. */
int okta_list_has(const char *list, const char *v, int nocase) {
  size_t n = strlen(v);
  for (const char *p = list; *p;) {
    const char *e = strchr(p, '|');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && (nocase ? strncasecmp(p, v, n) : strncmp(p, v, n)) == 0) return 1;
    p += len + (e ? 1 : 0);
  }
  return 0;
}
