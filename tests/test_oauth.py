"""OAuth 2.0 service apps (private_key_jwt, RS256 and ES256), DPoP, and every
configuration source: okta.yaml files, environment, okta_config()."""

import base64
import json
import os
import sqlite3
import subprocess
import time

import pytest

from conftest import EXT, connect, rows

CLIENT_ID = "0oaSERVICEAPP0001d7"


def b64e(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def openssl(*args, cwd):
    return subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True).stdout


@pytest.fixture(scope="session")
def keys(tmp_path_factory):
    d = tmp_path_factory.mktemp("keys")
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.pem", cwd=d)
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "other.pem", cwd=d)
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.pem", cwd=d)
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "p384.pem", cwd=d)

    def rsa_jwk(name):
        mod = openssl("rsa", "-in", name, "-noout", "-modulus", cwd=d).decode().strip().split("=", 1)[1]
        return {"kty": "RSA", "n": b64e(bytes.fromhex(mod)), "e": b64e((65537).to_bytes(3, "big"))}
    der = openssl("pkey", "-in", "ec.pem", "-pubout", "-outform", "DER", cwd=d)
    pt = der[-65:]
    return {"dir": d, "rsa": str(d / "rsa.pem"), "ec": str(d / "ec.pem"), "other": str(d / "other.pem"),
            "p384": str(d / "p384.pem"), "rsa_jwk": rsa_jwk("rsa.pem"), "other_jwk": rsa_jwk("other.pem"),
            "ec_jwk": {"kty": "EC", "crv": "P-256", "x": b64e(pt[1:33]), "y": b64e(pt[33:])}}


def service_app(fake, jwk, **kw):
    spec = {"client_id": CLIENT_ID, "jwk": jwk}
    spec.update(kw)
    fake._call("/__fake/oauth", spec)


def oauth_conn(fake, key, **settings):
    s = {"authorizationMode": "PrivateKey", "clientId": CLIENT_ID, "privateKey": key, "orgUrl": fake.url}
    s.update(settings)
    conn = sqlite3.connect(":memory:")
    conn.enable_load_extension(True)
    conn.load_extension(EXT)
    for k, v in s.items():
        conn.execute("SELECT okta_config(?, ?)", (k, v))
    return conn


def token_requests(fake):
    return [r for r in fake.requests() if r["path"] == "/oauth2/v1/token"]


def error_of(conn, sql):
    with pytest.raises(sqlite3.Error) as e:
        conn.execute(sql).fetchall()
    return str(e.value)


def test_rs256_with_kid_one_token_for_many_queries(fake, keys, truth):
    service_app(fake, keys["rsa_jwk"], kid="key-1")
    conn = oauth_conn(fake, keys["rsa"], privateKeyId="key-1")
    assert rows(conn, "SELECT count(*) FROM okta_users")[0][0] == len(truth.users)
    assert rows(conn, "SELECT count(*) FROM okta_groups")[0][0] == len(truth.groups)
    assert len(token_requests(fake)) == 1
    api = [r for r in fake.requests() if r["path"].startswith("/api/")]
    assert api and all(r["auth"] == "Bearer" for r in api)


def test_es256_key_given_as_pem_text(fake, keys, truth):
    service_app(fake, keys["ec_jwk"])
    pem = open(keys["ec"]).read()
    conn = oauth_conn(fake, pem)
    assert rows(conn, "SELECT count(*) FROM okta_applications")[0][0] == len(truth.apps)
    out = conn.execute("SELECT okta_debug()").fetchone()[0]
    assert "privateKey = (set, hidden)" in out and "BEGIN" not in out and "auth: PrivateKey" in out


def test_token_renewed_before_expiry(fake, keys):
    service_app(fake, keys["rsa_jwk"], expires_in=2)
    conn = oauth_conn(fake, keys["rsa"], **{"cache.enabled": "false"})
    rows(conn, "SELECT count(*) FROM okta_groups")
    rows(conn, "SELECT count(*) FROM okta_groups")
    assert len(token_requests(fake)) == 1
    time.sleep(1.7)  # renewed at three quarters of its life
    rows(conn, "SELECT count(*) FROM okta_groups")
    assert len(token_requests(fake)) == 2


def test_token_renewed_on_401(fake, keys, truth):
    service_app(fake, keys["rsa_jwk"])
    conn = oauth_conn(fake, keys["rsa"], **{"cache.enabled": "false"})
    rows(conn, "SELECT count(*) FROM okta_groups")
    fake._call("/__fake/oauth/revoke", {})
    assert rows(conn, "SELECT count(*) FROM okta_groups")[0][0] == len(truth.groups)
    assert len(token_requests(fake)) == 2
    assert [r["status"] for r in fake.requests() if r["path"] == "/api/v1/groups"] == [200, 401, 200]


@pytest.mark.parametrize("setup,settings,message", [
    ({"jwk": "other_jwk"}, {}, "POST /oauth2/v1/token: 401 invalid_client: The client_assertion signature is invalid."),
    ({}, {"clientId": "0oaSOMEONEELSE1d7"},
     "POST /oauth2/v1/token: 401 invalid_client: The client_assertion iss and sub must be the client_id."),
    ({"kid": "expected-kid"}, {"privateKeyId": "wrong-kid"},
     "401 invalid_client: The client_assertion kid does not match a key of the client."),
    ({"aud": "https://elsewhere.example.com/oauth2/v1/token"}, {},
     "401 invalid_client: The audience claim for client_assertion must be the endpoint invoked for the request."),
    ({"scopes": ["okta.users.read"]}, {"scopes": "okta.users.read,okta.logs.read"},
     "POST /oauth2/v1/token: 400 invalid_scope: The following scopes are not allowed: okta.logs.read"),
])
def test_token_endpoint_rejections(fake, keys, setup, settings, message):
    spec = dict(setup)
    jwk = keys[spec.pop("jwk", "rsa_jwk")]
    service_app(fake, jwk, **spec)
    conn = oauth_conn(fake, keys["rsa"], **settings)
    msg = error_of(conn, "SELECT count(*) FROM okta_users")
    assert msg.startswith("okta: ") and message in msg, msg
    assert [r["path"] for r in fake.requests()] == ["/oauth2/v1/token"]  # no API call without a token


def test_missing_scope_names_the_scope(fake, keys):
    service_app(fake, keys["rsa_jwk"])
    conn = oauth_conn(fake, keys["rsa"], scopes="okta.users.read,okta.apps.read")
    assert rows(conn, "SELECT count(*) FROM okta_users WHERE status = 'STAGED'")[0][0] > 0
    msg = error_of(conn, "SELECT count(*) FROM okta_groups")
    assert msg.startswith("okta: GET /api/v1/groups: 403 insufficient_scope: the access token lacks scope "
                          "okta.groups.read (grant it to the service app under Okta API Scopes)"), msg


def test_dpop_bound_tokens_with_nonces(fake, keys, truth):
    service_app(fake, keys["ec_jwk"], dpop=True, api_nonce=True)
    conn = oauth_conn(fake, keys["ec"], **{"cache.enabled": "false"})
    assert rows(conn, "SELECT count(*) FROM okta_groups")[0][0] == len(truth.groups)
    assert rows(conn, "SELECT count(*) FROM okta_applications")[0][0] == len(truth.apps)
    log = [(r["path"], r["status"]) for r in fake.requests()]
    assert log == [("/oauth2/v1/token", 400),   # invalid_dpop_proof: the app wants DPoP
                   ("/oauth2/v1/token", 400),   # use_dpop_nonce
                   ("/oauth2/v1/token", 200),
                   ("/api/v1/groups", 401),     # the resource server wants its nonce too
                   ("/api/v1/groups", 200),
                   ("/api/v1/apps", 200)]
    assert all(r["auth"] == "DPoP" for r in fake.requests() if r["path"].startswith("/api/"))


def test_bad_key_settings(fake, keys, tmp_path):
    service_app(fake, keys["rsa_jwk"])
    conn = oauth_conn(fake, "/nonexistent/key.pem")
    assert error_of(conn, "SELECT 1 FROM okta_users") == (
        "okta: okta_config('privateKey'): cannot read the private key file /nonexistent/key.pem: "
        "No such file or directory")
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n")
    conn = oauth_conn(fake, str(bad))
    assert error_of(conn, "SELECT 1 FROM okta_users").startswith(
        "okta: okta_config('privateKey'): %s is not a PEM private key" % bad)
    conn = oauth_conn(fake, keys["p384"])
    assert "unsupported key type: Okta service apps take RSA (RS256) or EC P-256 (ES256) keys" in \
        error_of(conn, "SELECT 1 FROM okta_users")
    conn = oauth_conn(fake, keys["rsa"], clientId=None)
    assert error_of(conn, "SELECT 1 FROM okta_users").startswith("okta: OKTA_CLIENT_CLIENTID is not set")
    assert fake.requests() == []


def test_secrets_never_shown(fake, keys, tmp_path):
    service_app(fake, keys["rsa_jwk"], dpop=True)
    pem = open(keys["rsa"]).read()
    env = dict(os.environ, OKTA_CLIENT_ORGURL=fake.url, OKTA_CLIENT_AUTHORIZATIONMODE="PrivateKey",
               OKTA_CLIENT_CLIENTID=CLIENT_ID, OKTA_CLIENT_PRIVATEKEY=pem, OKTA_SQLITE_TRACE="1")
    sql = ".bail off\nSELECT okta_debug();\nSELECT count(*) FROM okta_users;\nSELECT okta_config('privateKey');\n" \
          "SELECT count(*) FROM okta_policies;\n"
    p = subprocess.run(["sqlite3", ":memory:", "-cmd", ".load " + EXT], input=sql, capture_output=True, text=True,
                       env=env, timeout=120)
    out = p.stdout + p.stderr
    assert "okta: trace: start POST %s/oauth2/v1/token" % fake.url in out
    assert "PRIVATE KEY" not in out and pem.splitlines()[1] not in out
    assert "client_assertion=" not in out and "Bearer " not in out and "DPoP ey" not in out
    assert "invalid_dpop_proof" not in out  # the DPoP switch is silent, and it worked:
    assert "\n2000\n" in p.stdout


# ------------------------------------------------------------ configuration

@pytest.fixture
def yaml_files():
    home = os.environ["HOME"]
    made = []

    def write(path, text):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        made.append(path)
        return path
    yield {"home": os.path.join(home, ".okta", "okta.yaml"), "cwd": os.path.join(os.getcwd(), ".okta.yaml"),
           "write": write}
    for p in made:
        os.unlink(p)


def test_every_configuration_source_and_precedence(fake, yaml_files, monkeypatch, truth):
    yaml_files["write"](yaml_files["home"], "okta:\n  client:\n    orgUrl: %s\n    token: wrong-in-home\n"
                                            "    rateLimit:\n      maxRetries: 7\n    concurrency: 5\n" % fake.url)
    yaml_files["write"](yaml_files["cwd"], "okta:\n  client:\n    token: %s\n    concurrency: 6\n" % fake.token)
    conn = connect(None)
    assert rows(conn, "SELECT count(*) FROM okta_users")[0][0] == len(truth.users)
    dbg = conn.execute("SELECT okta_debug()").fetchone()[0]
    assert "orgUrl = %s (%s)" % (fake.url, yaml_files["home"]) in dbg
    assert "token = (set, hidden) (.okta.yaml)" in dbg
    assert "rateLimit.maxRetries = 7 (%s)" % yaml_files["home"] in dbg
    assert "concurrency = 6 (.okta.yaml)" in dbg
    monkeypatch.setenv("OKTA_SQLITE_CONCURRENCY", "9")
    monkeypatch.setenv("OKTA_CLIENT_RATE_LIMIT_MAX_RETRIES", "2")
    conn = connect(None, concurrency="11")
    dbg = conn.execute("SELECT okta_debug()").fetchone()[0]
    assert "concurrency = 11 (okta_config())" in dbg and "rateLimit.maxRetries = 2 (environment)" in dbg
    assert conn.execute("SELECT okta_config('concurrency', NULL)").fetchone()[0] == "9"


@pytest.mark.parametrize("text,message", [
    ("okta:\n  client:\n    bogus: 1\n", ": unknown key okta.client.bogus"),
    ("okta:\n  client:\n    rateLimit:\n      maxRetries: lots\n",
     ": okta.client: rateLimit.maxRetries must be a number, got 'lots'"),
    ("okta:\n  client:\n    orgUrl: [unclosed\n", ": malformed YAML at line"),
    ("okta:\n  client: just-a-string\n", ": okta.client must be a mapping"),
    ("something: else\n", ": expected an okta: client: mapping"),
])
def test_invalid_yaml_names_the_file_and_key(fake, yaml_files, text, message):
    path = yaml_files["write"](yaml_files["cwd"], text)
    conn = connect(fake)
    msg = error_of(conn, "SELECT 1 FROM okta_users")
    assert msg.startswith("okta: .okta.yaml") and message in msg, msg
    assert os.path.exists(path) and fake.requests() == []
