/*
** The org and its configuration objects: okta_org, okta_user_types,
** okta_devices, okta_policies, okta_network_zones, okta_trusted_origins,
** okta_authorization_servers, okta_identity_providers, okta_authenticators.
**
**   SELECT company_name, support_enabled, support_expiration FROM okta_org;
**   SELECT name, status FROM okta_policies WHERE type = 'PASSWORD';
**   SELECT display_name, user_ids FROM okta_devices;
**   SELECT display_name, platform, os_version FROM okta_devices WHERE user_id = '00u...';
*/
#include "tables.h"

/* ---------------------------------------------------------------- org */

static const okta_column org_cols[] = {
  TEXT("id", "id"),
  TEXT("subdomain", "subdomain"),
  TEXT("company_name", "companyName"),
  TEXT("status", "status"),
  TEXT("website", "website"),
  TEXT("created", "created"),
  TEXT("last_updated", "lastUpdated"),
  {"support_enabled", T_BOOL, NULL, okta_col_support_enabled,
   .doc = "Okta Support may sign in to the org (NULL when the token may not read it)"},
  TEXT("support_expiration", "_support.expiration"),
};

static const okta_source org_object = {"/api/v1/org", K_OBJECT, 0};
static const okta_source org_support = {"/api/v1/org/privacy/oktaSupport", K_OBJECT, 0,
                                        .flags = S_403_WARN | S_404_MISSING,
                                        .warn = "Okta Support access needs a Super Administrator token or scope "
                                                "okta.orgs.read; support_enabled is NULL"};
static const okta_route org_routes[] = {{"get", -1, .source = &org_object, .cost = 2, .rows = 1}};

const okta_table okta_org_table = {
  "okta_org", "the org (one row) and whether Okta Support may access it", org_cols, COUNT(org_cols), org_routes,
  COUNT(org_routes), "scope okta.orgs.read or any administrator role", .aux = &org_support,
  .aux_name = "_support",
};

/* --------------------------------------------------------- user types */

static const okta_column user_type_cols[] = {
  TEXT("id", "id"), TEXT("name", "name"), TEXT("display_name", "displayName"),
  TEXT("description", "description"), BOOL("is_default", "default"), TEXT("created", "created"),
  TEXT("last_updated", "lastUpdated"), TEXT("created_by", "createdBy"), TEXT("last_updated_by", "lastUpdatedBy"),
};
static const okta_source user_types = {"/api/v1/meta/types/user", K_LIST, 0};
static const okta_source user_type = {"/api/v1/meta/types/user/{key}", K_OBJECT, 0, .flags = S_404_EMPTY};
SIMPLE_ROUTES(user_type_routes, user_types, user_type);

const okta_table okta_user_types_table = {
  "okta_user_types", "user types", user_type_cols, COUNT(user_type_cols), user_type_routes,
  COUNT(user_type_routes), "scope okta.userTypes.read or any administrator role",
};

/* ------------------------------------------------------------ devices */

/* A device attribute Okta's device search takes (search=profile.x eq "v";
** the search ignores case, SQLite rechecks). */
#define DEVICE_SEARCH(n, p) {n, T_TEXT, p, .dialect = D_SEARCH, .api = p, .ops = OP_EQ}

enum { DV_ID };
static const okta_column device_cols[] = {
  [DV_ID] = TEXT("id", "id"),
  {"status", T_TEXT, "status", .dialect = D_SEARCH, .api = "status", .ops = OP_EQ,
   .values = "ACTIVE|CREATED|DEACTIVATED|SUSPENDED"},
  TEXT("created", "created"),
  {"last_updated", T_TEXT, "lastUpdated", .dialect = D_SEARCH, .api = "lastUpdated", .ops = OP_EQ | OP_RANGE},
  DEVICE_SEARCH("display_name", "profile.displayName"),
  {"platform", T_TEXT, "profile.platform", .dialect = D_SEARCH, .api = "profile.platform", .ops = OP_EQ,
   .values = "ANDROID|IOS|MACOS|WINDOWS"},
  DEVICE_SEARCH("serial_number", "profile.serialNumber"), BOOL("registered", "profile.registered"),
  JSONC("profile", "profile"), TEXT("resource_type", "resourceType"),
  {"user_ids", T_JSON, NULL, okta_col_device_user_ids, .doc = "JSON array of the ids of the device's users"},
  JSONC("users", "_embedded.users"),
  DEVICE_SEARCH("manufacturer", "profile.manufacturer"), DEVICE_SEARCH("model", "profile.model"),
  DEVICE_SEARCH("os_version", "profile.osVersion"), DEVICE_SEARCH("udid", "profile.udid"),
  DEVICE_SEARCH("imei", "profile.imei"), DEVICE_SEARCH("meid", "profile.meid"), DEVICE_SEARCH("sid", "profile.sid"),
  DEVICE_SEARCH("tpm_public_key_hash", "profile.tpmPublicKeyHash"),
  BOOL("secure_hardware_present", "profile.secureHardwarePresent"),
  DEVICE_SEARCH("disk_encryption_type", "profile.diskEncryptionType"), BOOL("managed", "profile.managed"),
  BOOL("integrity_jailbreak", "profile.integrityJailbreak"), TEXT("resource_id", "resourceId"),
  TEXT("resource_alternate_id", "resourceAlternateId"), TEXT("resource_display_name", "resourceDisplayName.value"),
  {"user_id", T_TEXT, "=arg", .flags = COL_HIDDEN, .doc = "devices of this user (/users/{id}/devices, then each device)"},
  {"search", T_TEXT, NULL, .flags = COL_HIDDEN, .dialect = D_RAW, .api = "search",
   .doc = "raw Okta device search expression"},
};

#define DV_USER_ID (COUNT(device_cols) - 2) /* the hidden user_id */

/* Okta's /devices/{id} has no expand=user: one device is found with the
** search instead, so user_ids is filled the same way for every route. */
static const okta_source devices = {"/api/v1/devices", K_LIST, 200, PARAMS("expand=user"), NULL, S_PUSHDOWN};
static const okta_source device = {"/api/v1/devices", K_LIST, 200, PARAMS("expand=user", "search=id eq {arg:q}")};
static const okta_source devices_by_ids = {"/api/v1/devices", K_LIST, 200, PARAMS("expand=user", "search={key}")};
static const okta_source devices_of_user = {"/api/v1/users/{arg}/devices", K_LIST, 0, .flags = S_404_EMPTY};
static const okta_source device_by_key = {"/api/v1/devices", K_LIST, 200, PARAMS("expand=user", "search=id eq {key:q}")};
static const okta_route device_routes[] = {
  {"get", DV_ID, .source = &device, .cost = 1, .rows = 1},
  {"batch", DV_ID, .source = &devices_by_ids, .batch_attr = "id", .cost = 1, .rows = 50},
  {"by-user", DV_USER_ID, .parent = &devices_of_user, .parent_key = "device.id", .source = &device_by_key,
   .cost = 3, .rows = 3},
  {"list", -1, .source = &devices, .cost = 50, .rows = 10000},
};

const okta_table okta_devices_table = {
  "okta_devices", "devices (Identity Engine orgs) with their users", device_cols, COUNT(device_cols),
  device_routes, COUNT(device_routes), "scope okta.devices.read or any administrator role",
};

/* ----------------------------------------------------------- policies */

static const okta_column policy_cols[] = {
  TEXT("id", "id"),
  {"type", T_TEXT, "type", .dialect = D_PARAM, .api = "type", .ops = OP_EQ},
  TEXT("name", "name"), TEXT("status", "status"), TEXT("description", "description"),
  INT("priority", "priority"), BOOL("system", "system"), TEXT("created", "created"),
  TEXT("last_updated", "lastUpdated"), JSONC("conditions", "conditions"), JSONC("settings", "settings"),
};
/* type is required by the API: without a type constraint, one pass per
** PolicyType of Okta's OpenAPI spec (v2026.06.3, components.schemas.PolicyType).
** A type the org does not have (Identity Engine types on a classic org, an
** Early Access type not enabled) answers 400 E0000002 "Invalid policy type
** specified" (okta/terraform-provider-okta issues #64 and #1202): that
** pass is skipped with a warning naming the type. */
const okta_source okta_policies_all = {
  "/api/v1/policies", K_LIST, 0, NULL,
  PARAMS("type=OKTA_SIGN_ON", "type=PASSWORD", "type=MFA_ENROLL", "type=ACCESS_POLICY", "type=IDP_DISCOVERY",
         "type=PROFILE_ENROLLMENT", "type=POST_AUTH_SESSION", "type=ENTITY_RISK", "type=DEVICE_SIGNAL_COLLECTION",
         "type=SESSION_VIOLATION_DETECTION", "type=CLIENT_UPDATE", "type=IDENTITY_CLAIM_SOURCING"),
  S_PUSHDOWN | S_400_WARN, "policy type not available in this org (skipped)"};
static const okta_source policy = {"/api/v1/policies/{key}", K_OBJECT, 0, .flags = S_404_EMPTY};
SIMPLE_ROUTES(policy_routes, okta_policies_all, policy);

const okta_table okta_policies_table = {
  "okta_policies", "policies of every type (type = pushes down)", policy_cols, COUNT(policy_cols), policy_routes,
  COUNT(policy_routes), "scope okta.policies.read or any administrator role",
};

/* -------------------------------------------------------------- zones */

static const okta_column zone_cols[] = {
  TEXT("id", "id"), TEXT("name", "name"), TEXT("type", "type"), TEXT("status", "status"), TEXT("usage", "usage"),
  BOOL("system", "system"), TEXT("created", "created"), TEXT("last_updated", "lastUpdated"),
  JSONC("gateways", "gateways"), JSONC("proxies", "proxies"), JSONC("locations", "locations"),
  JSONC("asns", "asns"),
};
static const okta_source zones = {"/api/v1/zones", K_LIST, 200};
static const okta_source zone = {"/api/v1/zones/{key}", K_OBJECT, 0, .flags = S_404_EMPTY};
SIMPLE_ROUTES(zone_routes, zones, zone);

const okta_table okta_network_zones_table = {
  "okta_network_zones", "network zones", zone_cols, COUNT(zone_cols), zone_routes, COUNT(zone_routes),
  "scope okta.networkZones.read or any administrator role",
};

/* ---------------------------------------------------- trusted origins */

static const okta_column origin_cols[] = {
  TEXT("id", "id"), TEXT("name", "name"), TEXT("origin", "origin"), TEXT("status", "status"),
  JSONC("scopes", "scopes"), TEXT("created", "created"), TEXT("created_by", "createdBy"),
  TEXT("last_updated", "lastUpdated"),
};
static const okta_source origins = {"/api/v1/trustedOrigins", K_LIST, 200};
static const okta_source origin = {"/api/v1/trustedOrigins/{key}", K_OBJECT, 0, .flags = S_404_EMPTY};
SIMPLE_ROUTES(origin_routes, origins, origin);

const okta_table okta_trusted_origins_table = {
  "okta_trusted_origins", "trusted origins (CORS and redirect)", origin_cols, COUNT(origin_cols), origin_routes,
  COUNT(origin_routes), "scope okta.trustedOrigins.read or any administrator role",
};

/* ------------------------------------------------ authorization servers */

static const okta_column auth_server_cols[] = {
  TEXT("id", "id"), TEXT("name", "name"), TEXT("description", "description"), JSONC("audiences", "audiences"),
  TEXT("issuer", "issuer"), TEXT("issuer_mode", "issuerMode"), TEXT("status", "status"),
  TEXT("created", "created"), TEXT("last_updated", "lastUpdated"), JSONC("credentials", "credentials"),
};
const okta_source okta_auth_servers_all = {"/api/v1/authorizationServers", K_LIST, 200};
static const okta_source auth_server = {"/api/v1/authorizationServers/{key}", K_OBJECT, 0, .flags = S_404_EMPTY};
SIMPLE_ROUTES(auth_server_routes, okta_auth_servers_all, auth_server);

const okta_table okta_authorization_servers_table = {
  "okta_authorization_servers", "custom authorization servers", auth_server_cols, COUNT(auth_server_cols),
  auth_server_routes, COUNT(auth_server_routes), "scope okta.authorizationServers.read or any administrator role",
};

/* --------------------------------------------------- identity providers */

static const okta_column idp_cols[] = {
  TEXT("id", "id"), TEXT("name", "name"), TEXT("type", "type"), TEXT("status", "status"),
  TEXT("issuer_mode", "issuerMode"), TEXT("created", "created"), TEXT("last_updated", "lastUpdated"),
  /* Real OIDC identity providers carry protocol.credentials.client.client_secret
  ** (recorded from real orgs: tests/fakeorg/recorded): redacted. */
  {"protocol", T_JSON, NULL, okta_col_protocol, .doc = "protocol, secret values replaced by \"(redacted)\""},
  JSONC("policy", "policy"),
};
static const okta_source idps = {"/api/v1/idps", K_LIST, 200};
static const okta_source idp = {"/api/v1/idps/{key}", K_OBJECT, 0, .flags = S_404_EMPTY};
SIMPLE_ROUTES(idp_routes, idps, idp);

const okta_table okta_identity_providers_table = {
  "okta_identity_providers", "identity providers", idp_cols, COUNT(idp_cols), idp_routes, COUNT(idp_routes),
  "scope okta.idps.read or any administrator role",
};

/* ------------------------------------------------------ authenticators */

static const okta_column authenticator_cols[] = {
  TEXT("id", "id"), TEXT("key", "key"), TEXT("name", "name"), TEXT("type", "type"), TEXT("status", "status"),
  TEXT("created", "created"), TEXT("last_updated", "lastUpdated"), JSONC("settings", "settings"),
};
static const okta_source authenticators = {"/api/v1/authenticators", K_LIST, 0};
static const okta_source authenticator = {"/api/v1/authenticators/{key}", K_OBJECT, 0, .flags = S_404_EMPTY};
SIMPLE_ROUTES(authenticator_routes, authenticators, authenticator);

const okta_table okta_authenticators_table = {
  "okta_authenticators", "authenticators (Identity Engine)", authenticator_cols, COUNT(authenticator_cols),
  authenticator_routes, COUNT(authenticator_routes), "scope okta.authenticators.read or any administrator role",
};
