/* The world the header's examples run in (tests/header_examples.py puts
 * each ```c block of include/fapi.h in a function of its own, after a few
 * lines that name what the block uses): an authorization server's key, a
 * client's (TPP's) key, their JWK Sets, a replay cache, an ID token, a JARM
 * response, a JWE, signed HTTP messages. Everything is made through the
 * API itself, with the current time, so each example runs as it would in a
 * server. */
#ifndef FAPI_EXAMPLES_FIXTURE_H
#define FAPI_EXAMPLES_FIXTURE_H

#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <time.h>

#include "check.h"
#include "vectors.h"

#define FX_ISSUER "https://as.example"
#define FX_AUDIENCE "https://rs.example"
#define FX_RESOURCE "https://rs.example/accounts"
#define FX_BODY "{\"amount\":\"10.00\"}"
#define FX_NONCE "n-0S6_WzA2Mj"
#define FX_AT "at-0123456789abcdef"
#define FX_CODE "SplxlOBeZQQYbYS6WxSbIA"
#define FX_STATE "af0ifjsldkj"

static const fapi_profile *fx_fapi2;
static fapi_key *fx_as;          /* the AS (and bank) key, ES256 */
static fapi_public_key *fx_as_pub;
static fapi_key *fx_client;      /* the client (TPP) key, ES256 */
static fapi_replay_cache *fx_jtis;
static fapi_decryption_key *fx_dk;
static char fx_as_jwks[4096], fx_client_jwks[4096], fx_enc_jwks[4096];
static size_t fx_as_jwks_len, fx_client_jwks_len, fx_enc_jwks_len;
static char fx_as_jwk[1024];     /* the AS key's public JWK */
static char fx_id_token[4096], fx_jarm_query[4096], fx_jwe[8192];
static size_t fx_id_token_len, fx_jarm_query_len, fx_jwe_len;

#define FX_OK(call)                                                          \
    do {                                                                     \
        if ((call) != FAPI_OK) {                                             \
            fprintf(stderr, "fixture: %s: %s\n", #call, msg);                \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

static uint64_t fx_now(void) { return (uint64_t)time(NULL); }

/* A DPoP proof of `key` for `method` `uri` (and `token` when not NULL). */
static size_t fx_proof(const fapi_key *key, const char *method, const char *uri,
                       const char *token, size_t token_len, char *out, size_t cap) {
    size_t n = 0;
    fapi_dpop_proof_params p = {method, strlen(method), uri, strlen(uri), fx_now(),
                                token,  token_len,      NULL, 0};
    FX_OK(fapi_dpop_proof_create(key, &p, out, cap, &n, &err));
    return n;
}

/* A verified DPoP proof of the client at the token endpoint. */
static fapi_verified_dpop_proof *fx_verified_proof(void) {
    char proof[2048], jkt[64];
    size_t pn = fx_proof(fx_client, "POST", FX_ISSUER "/token", NULL, 0, proof, sizeof proof);
    size_t jn = 0;
    fapi_dpop_request rq = {"POST", 4, FX_ISSUER "/token", strlen(FX_ISSUER "/token"),
                            NULL,   0, NULL,               NULL,
                            0};
    fapi_verified_dpop_proof *v = NULL;
    FX_OK(fapi_dpop_proof_verify(fx_fapi2, proof, pn, &rq, fx_jtis, fx_now(), jkt, sizeof jkt,
                                 &jn, &v, &err));
    return v;
}

/* An access token of the AS, bound to the client's DPoP key. */
static size_t fx_token(char *token, size_t cap) {
    fapi_verified_dpop_proof *v = fx_verified_proof();
    fapi_access_token_params t = {.issuer = FX_ISSUER, .issuer_len = strlen(FX_ISSUER),
        .subject = "alice", .subject_len = 5, .audience = FX_AUDIENCE,
        .audience_len = strlen(FX_AUDIENCE), .client_id = "c1", .client_id_len = 2,
        .issued_at = fx_now(), .lifetime = 300, .dpop = v};
    size_t n = 0;
    FX_OK(fapi_access_token_issue(fx_fapi2, fx_as, &t, token, cap, &n, &err));
    fapi_verified_dpop_proof_free(v);
    return n;
}

/* A JWT of the AS for FX_AUDIENCE. */
static size_t fx_jwt(char *out, size_t cap) {
    char claims[512];
    uint64_t now = fx_now();
    snprintf(claims, sizeof claims,
             "{\"iss\":\"" FX_ISSUER "\",\"aud\":\"" FX_AUDIENCE
             "\",\"iat\":%llu,\"exp\":%llu,\"jti\":\"j-%llu\"}",
             (unsigned long long)now, (unsigned long long)now + 60, (unsigned long long)now);
    size_t n = 0;
    FX_OK(fapi_jws_sign(fx_as, "JWT", 3, (const uint8_t *)claims, strlen(claims), out, cap, &n,
                        &err));
    return n;
}

/* A resource request's field lines, with room for the values written in. */
typedef struct {
    fapi_http_field f[12];
    size_t n;
    char digest[FAPI_CONTENT_DIGEST_MAX], input[1024], sig[512];
    size_t digest_len, input_len, sig_len;
    fapi_http_request rq;
    fapi_http_response rs;
} fx_message;

static void fx_add(fx_message *m, const char *name, const char *value, size_t len) {
    fapi_http_field f = {name, strlen(name), value, len};
    m->f[m->n++] = f;
}

/* A request the TPP (the client key) signed, with its signature fields. */
static void fx_signed_request(fx_message *m) {
    memset(m, 0, sizeof *m);
    fx_add(m, "Authorization", S("DPoP " FX_AT));
    fx_add(m, "Content-Type", S("application/json"));
    FX_OK(fapi_content_digest_write(FAPI_DIGEST_SHA256, S_U8(FX_BODY), m->digest,
                                    sizeof m->digest, &m->digest_len, &err));
    fx_add(m, "Content-Digest", m->digest, m->digest_len);
    fapi_http_request rq = {"POST", 4, FX_RESOURCE, strlen(FX_RESOURCE), m->f, m->n};
    FX_OK(fapi_http_sig_sign_request(fx_client, "sig1", 4, &rq, S_U8(FX_BODY), fx_now(),
                                     m->input, sizeof m->input, &m->input_len, m->sig,
                                     sizeof m->sig, &m->sig_len, &err));
    fx_add(m, "Signature-Input", m->input, m->input_len);
    fx_add(m, "Signature", m->sig, m->sig_len);
    fapi_http_request signed_rq = {"POST", 4, FX_RESOURCE, strlen(FX_RESOURCE), m->f, m->n};
    m->rq = signed_rq;
}

/* The bank's signed response to the signed request `req`. */
static void fx_signed_response(const fx_message *req, fx_message *m) {
    memset(m, 0, sizeof *m);
    fx_add(m, "Content-Type", S("application/json"));
    FX_OK(fapi_content_digest_write(FAPI_DIGEST_SHA256, S_U8(FX_BODY), m->digest,
                                    sizeof m->digest, &m->digest_len, &err));
    fx_add(m, "Content-Digest", m->digest, m->digest_len);
    fapi_http_response rs = {201, m->f, m->n};
    FX_OK(fapi_http_sig_sign_response(fx_as, "sig1", 4, &rs, S_U8(FX_BODY), &req->rq, fx_now(),
                                      m->input, sizeof m->input, &m->input_len, m->sig,
                                      sizeof m->sig, &m->sig_len, &err));
    fx_add(m, "Signature-Input", m->input, m->input_len);
    fx_add(m, "Signature", m->sig, m->sig_len);
    fapi_http_response signed_rs = {201, m->f, m->n};
    m->rs = signed_rs;
}

/* The RFC 9421 B.2 test request, signed as sig-b26 (B.2.6). */
static void fx_rfc9421_request(fx_message *m) {
    memset(m, 0, sizeof *m);
    fx_add(m, "Host", S("example.com"));
    fx_add(m, "Date", S("Tue, 20 Apr 2021 02:07:55 GMT"));
    fx_add(m, "Content-Type", S("application/json"));
    fx_add(m, "Content-Digest", S(RFC9421_REQUEST_DIGEST));
    fx_add(m, "Content-Length", S("18"));
    fx_add(m, "Signature-Input", S(RFC9421_B26_INPUT));
    fx_add(m, "Signature", S(RFC9421_B26_SIGNATURE));
    fapi_http_request rq = {"POST", 4, RFC9421_TARGET, strlen(RFC9421_TARGET), m->f, m->n};
    m->rq = rq;
}

/* The PKCS#11 token .ci/capi sets up, or NULL when there is none. */
static const char *fx_env(const char *name) {
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static bool fx_hsm(void) {
    return fx_env("FAPI_PKCS11_MODULE") && fx_env("FAPI_PKCS11_TOKEN") &&
           fx_env("FAPI_PKCS11_PIN") && fx_env("FAPI_CAPI_HSM_KEY");
}

static void fx_setup(void) {
    FX_OK(fapi_profile_get("fapi2", 5, &fx_fapi2, &err));
    FX_OK(fapi_key_generate(FAPI_ALG_ES256, &fx_as, &err));
    FX_OK(fapi_key_public(fx_as, &fx_as_pub, &err));
    FX_OK(fapi_key_generate(FAPI_ALG_ES256, &fx_client, &err));
    FX_OK(fapi_replay_cache_new(1024, &fx_jtis, &err));
    const fapi_key *as[] = {fx_as}, *client[] = {fx_client};
    FX_OK(fapi_jwks_write(as, 1, fx_as_jwks, sizeof fx_as_jwks, &fx_as_jwks_len, &err));
    FX_OK(fapi_jwks_write(client, 1, fx_client_jwks, sizeof fx_client_jwks,
                          &fx_client_jwks_len, &err));
    size_t n = 0;
    FX_OK(fapi_public_key_jwk(fx_as_pub, fx_as_jwk, sizeof fx_as_jwk - 1, &n, &err));
    fx_as_jwk[n] = '\0';
    /* the client's encryption key and its JWKS */
    FX_OK(fapi_decryption_key_from_pkcs8(S_U8(RSA_PKCS8_PEM), &fx_dk, &err));
    char jwk[2048];
    FX_OK(fapi_decryption_key_jwk(fx_dk, "RSA-OAEP", 8, jwk, sizeof jwk, &n, &err));
    fx_enc_jwks_len = (size_t)snprintf(fx_enc_jwks, sizeof fx_enc_jwks, "{\"keys\":[%.*s]}",
                                       (int)n, jwk);
    /* an ID token with FX_NONCE and the hash of FX_AT, and its JWE */
    fapi_id_token_params p = {.issuer = FX_ISSUER, .issuer_len = strlen(FX_ISSUER),
        .subject = "alice", .subject_len = 5, .client_id = "c1", .client_id_len = 2,
        .issued_at = fx_now(), .lifetime = 300, .nonce = FX_NONCE,
        .nonce_len = strlen(FX_NONCE), .access_token = FX_AT, .access_token_len = strlen(FX_AT)};
    FX_OK(fapi_id_token_issue(fx_fapi2, fx_as, &p, fx_id_token, sizeof fx_id_token,
                              &fx_id_token_len, &err));
    FX_OK(fapi_jwe_encrypt(fx_fapi2, fx_enc_jwks, fx_enc_jwks_len, "RSA-OAEP", 8, "A256GCM", 7,
                           "JWT", 3, (const uint8_t *)fx_id_token, fx_id_token_len, fx_jwe,
                           sizeof fx_jwe, &fx_jwe_len, &err));
    /* a JARM response (code and state), as the redirect's query */
    fapi_jarm_response r = {.code = FX_CODE, .code_len = strlen(FX_CODE), .state = FX_STATE,
                            .state_len = strlen(FX_STATE)};
    char jwt[2048];
    FX_OK(fapi_jarm_issue(fx_fapi2, fx_as, FX_ISSUER, strlen(FX_ISSUER), "c1", 2, &r, fx_now(),
                          300, jwt, sizeof jwt, &n, &err));
    fx_jarm_query_len = (size_t)snprintf(fx_jarm_query, sizeof fx_jarm_query, "response=%.*s",
                                         (int)n, jwt);
}

#endif
