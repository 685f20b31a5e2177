/*
** okta_system_log: the System Log (kept 90 days by Okta).
**
**   SELECT published, actor_alternate_id, display_message FROM okta_system_log
**    WHERE published >= '2026-11-01' AND event_type = 'user.session.start';
**
** published bounds become since/until. until is always sent (now by
** default): without it Okta treats the query as polling and every page,
** even an empty one, has a next link. With no lower bound Okta's default
** window applies: the last 7 days.
*/
#include "tables.h"

static const okta_column log_cols[] = {
  TEXT("uuid", "uuid"),
  {"published", T_TEXT, "published", .dialect = D_TIME_RANGE, .api = "since", .api_hi = "until",
   .ops = OP_RANGE},
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
  ** spec cites for arrays): a pushed = keeps every event that has X among its
  ** targets, and reads back X (COL_MATCH_ANY). */
  {"target_id", T_TEXT, "target.0.id", .flags = COL_MATCH_ANY, .dialect = D_FILTER, .api = "target.id", .ops = OP_EQ,
   .doc = "id of the first target; target_id = 'X' matches events with X among any of their targets "
          "(Okta's filter target.id eq) and reads back X"},
  JSONC("debug_context", "debugContext"),
  JSONC("event", ""),
  {"q", T_TEXT, NULL, .flags = COL_HIDDEN, .dialect = D_RAW, .api = "q", .doc = "keyword search (q=)"},
};

static const okta_source logs = {"/api/v1/logs", K_LIST, 1000, PARAMS("until={now}", "sortOrder=ASCENDING"),
                                 NULL, S_PUSHDOWN};

static const okta_route log_routes[] = {
  {"list", -1, .source = &logs, .cost = 1000, .rows = 10000},
};

const okta_table okta_system_log_table = {
  "okta_system_log", "System Log events (last 7 days unless published is constrained; Okta keeps 90)",
  log_cols, COUNT(log_cols), log_routes, COUNT(log_routes), "scope okta.logs.read or a Report or Super Administrator role",
};
