"""OAuth 2.0 for the fake org: the org authorization server's token endpoint
(client credentials with private_key_jwt, DPoP) and access token checks on
API requests, with Okta's error bodies.

JWT signatures are verified for real, in plain Python: RS256 (RSASSA-PKCS1
v1.5 with SHA-256) and ES256 (ECDSA over P-256), so a client that signs
wrongly is rejected as Okta would reject it.
"""

import base64
import hashlib
import hmac
import json
import secrets
import time
import urllib.parse

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

# Which scope each API needs (Okta's scopes for the endpoints we serve).
SCOPES = [
    ("/api/v1/users/", "/roles", "okta.roles.read"),
    ("/api/v1/groups/", "/roles", "okta.roles.read"),
    ("/api/v1/iam/", "", "okta.roles.read"),
    ("/api/v1/users/", "/factors", "okta.users.read"),
    ("/api/v1/groups", "", "okta.groups.read"),
    ("/api/v1/users", "", "okta.users.read"),
    ("/api/v1/apps", "", "okta.apps.read"),
    ("/api/v1/logs", "", "okta.logs.read"),
    ("/api/v1/org", "", "okta.orgs.read"),
    ("/api/v1/meta/types/user", "", "okta.userTypes.read"),
    ("/api/v1/devices", "", "okta.devices.read"),
    ("/api/v1/policies", "", "okta.policies.read"),
    ("/api/v1/zones", "", "okta.networkZones.read"),
    ("/api/v1/trustedOrigins", "", "okta.trustedOrigins.read"),
    ("/api/v1/authorizationServers", "", "okta.authorizationServers.read"),
    ("/api/v1/idps", "", "okta.idps.read"),
    ("/api/v1/authenticators", "", "okta.authenticators.read"),
    ("/api/v1/api-tokens", "", "okta.apiTokens.read"),  # spec: listApiTokens security
]


def scope_for(path):
    for prefix, suffix, scope in SCOPES:
        if path.startswith(prefix) and path.endswith(suffix):
            return scope
    return None


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def to_int(b):
    return int.from_bytes(b, "big")


# ------------------------------------------------------------------ RS256

def rsa_verify(jwk, msg, sig):
    n, e = to_int(b64d(jwk["n"])), to_int(b64d(jwk["e"]))
    k = (n.bit_length() + 7) // 8
    if len(sig) != k:
        return False
    em = pow(to_int(sig), e, n).to_bytes(k, "big")
    info = bytes.fromhex("3031300d060960864801650304020105000420") + hashlib.sha256(msg).digest()
    want = b"\x00\x01" + b"\xff" * (k - len(info) - 3) + b"\x00" + info
    return hmac.compare_digest(em, want)


# ------------------------------------------------------------------ ES256

P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff
A = P - 3
N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551
G = (0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296,
     0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5)
B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b


def ec_add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    if p1[0] == p2[0] and (p1[1] + p2[1]) % P == 0:
        return None
    if p1 == p2:
        lam = (3 * p1[0] * p1[0] + A) * pow(2 * p1[1], -1, P) % P
    else:
        lam = (p2[1] - p1[1]) * pow(p2[0] - p1[0], -1, P) % P
    x = (lam * lam - p1[0] - p2[0]) % P
    return x, (lam * (p1[0] - x) - p1[1]) % P


def ec_mul(k, pt):
    out = None
    while k:
        if k & 1:
            out = ec_add(out, pt)
        pt = ec_add(pt, pt)
        k >>= 1
    return out


def ec_verify(jwk, msg, sig):
    if jwk.get("crv") != "P-256" or len(sig) != 64:
        return False
    q = (to_int(b64d(jwk["x"])), to_int(b64d(jwk["y"])))
    if (q[1] * q[1] - (q[0] ** 3 + A * q[0] + B)) % P:
        return False  # not on the curve
    r, s = to_int(sig[:32]), to_int(sig[32:])
    if not (1 <= r < N and 1 <= s < N):
        return False
    z = to_int(hashlib.sha256(msg).digest())
    w = pow(s, -1, N)
    pt = ec_add(ec_mul(z * w % N, G), ec_mul(r * w % N, q))
    return pt is not None and pt[0] % N == r


def verify_jws(token, jwk=None):
    """Returns (header, claims) of a compact JWS whose signature verifies
    with jwk (or the header's own jwk), else raises ValueError."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWS")
    header, claims = json.loads(b64d(parts[0])), json.loads(b64d(parts[1]))
    key = jwk or header.get("jwk")
    if not key:
        raise ValueError("no key")
    msg, sig = (parts[0] + "." + parts[1]).encode(), b64d(parts[2])
    alg = header.get("alg")
    ok = (alg == "RS256" and key.get("kty") == "RSA" and rsa_verify(key, msg, sig)) or \
         (alg == "ES256" and key.get("kty") == "EC" and ec_verify(key, msg, sig))
    if not ok:
        raise ValueError("signature")
    return header, claims


def thumbprint(jwk):
    """RFC 7638 JWK thumbprint."""
    if jwk["kty"] == "RSA":
        canon = {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}
    else:
        canon = {"crv": jwk["crv"], "kty": "EC", "x": jwk["x"], "y": jwk["y"]}
    return b64e(hashlib.sha256(json.dumps(canon, separators=(",", ":"), sort_keys=True).encode()).digest())


class OAuthError(Exception):
    def __init__(self, status, error, description, headers=None):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.headers = headers or {}

    def body(self):
        return json.dumps({"error": self.error, "error_description": self.description})


class OAuth:
    """The service app and the tokens issued to it."""

    def __init__(self, spec):
        self.client_id = spec["client_id"]
        self.jwk = spec["jwk"]
        self.kid = spec.get("kid")
        self.dpop = spec.get("dpop", False)
        self.api_nonce = spec.get("api_nonce", False)
        self.expires_in = spec.get("expires_in", 3600)
        self.granted = set(spec.get("scopes", [s for _, _, s in SCOPES] + ["okta.factors.read"]))
        self.aud = spec.get("aud")
        self.tokens = {}
        self.jtis = set()
        self.nonce = secrets.token_urlsafe(12)

    def check_dpop(self, proof, method, url, token=None, nonce_required=True):
        if not proof:
            raise OAuthError(400, "invalid_dpop_proof", "The DPoP proof JWT header is missing.")
        try:
            header, claims = verify_jws(proof)
        except (ValueError, KeyError) as e:
            raise OAuthError(400, "invalid_dpop_proof", "The DPoP proof is invalid (%s)." % e)
        if header.get("typ") != "dpop+jwt" or "jwk" not in header:
            raise OAuthError(400, "invalid_dpop_proof", "The DPoP proof header must have typ dpop+jwt and a jwk.")
        if claims.get("htm") != method or claims.get("htu") != url.split("?")[0]:
            raise OAuthError(400, "invalid_dpop_proof", "htm or htu does not match the request.")
        if abs(time.time() - claims.get("iat", 0)) > 300 or not claims.get("jti"):
            raise OAuthError(400, "invalid_dpop_proof", "iat is not recent or jti is missing.")
        if token is not None and claims.get("ath") != b64e(hashlib.sha256(token.encode()).digest()):
            raise OAuthError(400, "invalid_dpop_proof", "ath does not match the access token.")
        if nonce_required and claims.get("nonce") != self.nonce:
            raise OAuthError(400, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof.",
                             {"DPoP-Nonce": self.nonce})
        return thumbprint(header["jwk"])

    def token_endpoint(self, form, headers, token_url):
        """Answers POST /oauth2/v1/token: (status, body, extra headers)."""
        try:
            if form.get("grant_type") != "client_credentials":
                raise OAuthError(400, "unsupported_grant_type", "The authorization grant type is not supported.")
            if form.get("client_assertion_type") != ASSERTION_TYPE or "client_assertion" not in form:
                raise OAuthError(401, "invalid_client", "No client credentials found.")
            try:
                header, claims = verify_jws(form["client_assertion"], self.jwk)
            except (ValueError, KeyError):
                raise OAuthError(401, "invalid_client", "The client_assertion signature is invalid.")
            if self.kid and header.get("kid") != self.kid:
                raise OAuthError(401, "invalid_client", "The client_assertion kid does not match a key of the client.")
            if claims.get("iss") != self.client_id or claims.get("sub") != self.client_id:
                raise OAuthError(401, "invalid_client", "The client_assertion iss and sub must be the client_id.")
            if claims.get("aud") != (self.aud or token_url):
                raise OAuthError(401, "invalid_client", "The audience claim for client_assertion must be the endpoint "
                                                        "invoked for the request.")
            now = time.time()
            if not (claims.get("iat", 0) - 60 <= now < claims.get("exp", 0)) or claims["exp"] - claims["iat"] > 3600:
                raise OAuthError(401, "invalid_client", "The client_assertion token is expired or lives over an hour.")
            if not claims.get("jti") or claims["jti"] in self.jtis:
                raise OAuthError(401, "invalid_client", "The client_assertion token has already been used.")
            requested = set(form.get("scope", "").split())
            if not requested:
                raise OAuthError(400, "invalid_scope", "The authorization server resource does not have any "
                                                       "configured default scopes, 'scope' must be provided.")
            denied = sorted(requested - self.granted)
            if denied:
                raise OAuthError(400, "invalid_scope", "The following scopes are not allowed: %s" % " ".join(denied))
            jkt = None
            if self.dpop:
                jkt = self.check_dpop(headers.get("DPoP"), "POST", token_url)
            self.jtis.add(claims["jti"])
            token = secrets.token_urlsafe(24)
            self.tokens[token] = {"exp": now + self.expires_in, "scopes": requested, "jkt": jkt}
            body = {"token_type": "DPoP" if jkt else "Bearer", "expires_in": self.expires_in,
                    "access_token": token, "scope": " ".join(sorted(requested))}
            return 200, json.dumps(body), {}
        except OAuthError as e:
            return e.status, e.body(), e.headers

    def check_api(self, auth, headers, method, url, path):
        """None when the request may proceed, else (status, body, headers)."""
        scheme, _, token = auth.partition(" ")
        info = self.tokens.get(token)
        if scheme not in ("Bearer", "DPoP") or not info or info["exp"] < time.time():
            return 401, None, {}  # Okta's E0000011 body
        if info["jkt"]:
            if scheme != "DPoP":
                return 401, None, {"WWW-Authenticate": 'DPoP error="invalid_token"'}
            try:
                jkt = self.check_dpop(headers.get("DPoP"), method, url, token, nonce_required=self.api_nonce)
            except OAuthError as e:
                if e.error == "use_dpop_nonce":
                    return 401, "", {"WWW-Authenticate": 'DPoP error="use_dpop_nonce", error_description="Resource '
                                                         'server requires nonce in DPoP proof"',
                                     "DPoP-Nonce": self.nonce}
                return 400, e.body(), {}
            if jkt != info["jkt"]:
                return 401, "", {"WWW-Authenticate": 'DPoP error="invalid_dpop_proof"'}
        need = scope_for(path)
        if need and need not in info["scopes"]:
            return 403, "", {"WWW-Authenticate": 'Bearer authorization_uri="%s/oauth2/v1/authorize", realm="%s", '
                                                 'scope="%s", error="insufficient_scope", error_description="The '
                                                 'access token provided does not contain the required scopes.", '
                                                 'resource="%s"' % (url.split("/api/")[0], url.split("/api/")[0],
                                                                    need, path)}
        return None


def parse_form(body):
    return dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
