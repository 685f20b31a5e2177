/*
** okta_system_log: the System Log (kept 90 days by Okta).
**
**   SELECT published, actor_alternate_id, display_message FROM okta_system_log
**    WHERE published >= '2026-11-01' AND event_type = 'user.session.start';
**
** published bounds become since/until. until is always sent (now by
** default): without it Okta treats the query as polling and every page,
** even an empty one, has a next link. Without a lower bound the table
** covers Okta's whole retention, 90 days.
*/
#include "tables.h"

static const okta_column log_cols[] = {
  TEXT("uuid", "uuid"),
  {"published", T_TEXT, "published", .dialect = D_TIME_RANGE, .api = "since", .api_hi = "until",
   .ops = OP_EQ | OP_RANGE},
  {"event_type", T_TEXT, "eventType", .dialect = D_FILTER, .api = "eventType", .ops = OP_EQ},
  TEXT("display_message", "displayMessage"),
  TEXT("severity", "severity"),
  {"actor_id", T_TEXT, "actor.id", .dialect = D_FILTER, .api = "actor.id", .ops = OP_EQ},
  TEXT("actor_type", "actor.type"),
  TEXT("actor_alternate_id", "actor.alternateId"),
  TEXT("actor_display_name", "actor.displayName"),
  TEXT("client_ip", "client.ipAddress"),
  TEXT("outcome_result", "outcome.result"),
  TEXT("outcome_reason", "outcome.reason"),
  JSONC("target", "target"),
  /* Okta matches target.id eq "X" against every element of target[] (the
  ** System Log query guide's examples; SCIM, RFC 7644 3.4.2.2, which Okta's
  ** spec cites for arrays): for target_id (the first target) that is a
  ** superset SQLite narrows down; any_target_id asks for every event with X
  ** among its targets, an input that reads back as given. */
  {"target_id", T_TEXT, "target.0.id", .dialect = D_FILTER, .api = "target.id", .ops = OP_EQ,
   .doc = "id of the first target"},
  JSONC("debug_context", "debugContext"),
  JSONC("event", ""),
  {"q", T_TEXT, NULL, .flags = COL_HIDDEN, .dialect = D_RAW, .api = "q", .doc = "keyword search (q=)"},
  {"any_target_id", T_TEXT, NULL, .flags = COL_HIDDEN, .dialect = D_FILTER, .api = "target.id", .ops = OP_EQ,
   .doc = "events with this id among any of their targets (filter=target.id eq ...)"},
};

/* Without a usable lower bound on published, since= is the start of Okta's
** 90-day retention (Okta's own default is 7 days, which would silently drop
** rows the SQL asked for). */
static const okta_source logs = {"/api/v1/logs", K_LIST, 1000,
                                 PARAMS("since={now-90d}", "until={now}", "sortOrder=ASCENDING"), NULL, S_PUSHDOWN};

static const okta_route log_routes[] = {
  {"list", -1, .source = &logs, .cost = 100, .rows = 100000},
};

const okta_table okta_system_log_table = {
  "okta_system_log", "System Log events (Okta keeps 90 days; bound published to read less)",
  log_cols, COUNT(log_cols), log_routes, COUNT(log_routes), "scope okta.logs.read or a Report or Super Administrator role",
  .key = "uuid",
};
