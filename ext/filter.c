/*
** Building Okta filter and search expressions.
**
** Okta's expression grammar takes string literals in double quotes; a quote
** or backslash inside must be escaped with a backslash, or a value such as
**   x" or status eq "ACTIVE
** would widen the query. Every value we put into an expression goes through
** okta_filter_quote, so no SQL argument can change the expression's shape.
*/
#include "okta.h"

#include <string.h>

/* Appends value as a quoted literal, escaping '"' and '\'. */
void okta_filter_quote(okta_buf *b, const char *value) {
  okta_buf_append(b, "\"", 1);
  const char *run = value;
  for (const char *p = value; *p; p++) {
    if (*p == '"' || *p == '\\') {
      okta_buf_append(b, run, (size_t)(p - run));
      okta_buf_append(b, "\\", 1);
      run = p;
    }
  }
  okta_buf_puts(b, run);
  okta_buf_append(b, "\"", 1);
}

/* Appends one comparison, joined to a non-empty buffer with " and ". */
void okta_filter_term(okta_buf *b, const char *attr, const char *op,
                      const char *value) {
  if (b->n) okta_buf_puts(b, " and ");
  okta_buf_puts(b, attr);
  okta_buf_append(b, " ", 1);
  okta_buf_puts(b, op);
  okta_buf_append(b, " ", 1);
  okta_filter_quote(b, value);
}
