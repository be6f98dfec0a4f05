/* The fapi C API with software keys: every function, its refusals, NULL
 * arguments and buffers that are too small. Known answers from RFC 7636,
 * RFC 7638, RFC 8037 and RFC 9449. */
#include "check.h"
#include "vectors.h"

#define NOW 1900000000u
#define AS_ISSUER "https://as.bank.example"
#define RS_AUDIENCE "https://api.bank.example"
#define TOKEN_URI "https://as.bank.example/token"
#define RESOURCE_URI "https://api.bank.example/accounts"

static char buf[16384];
static size_t n;

static const fapi_profile *profile(const char *name) {
    const fapi_profile *p = NULL;
    CHECK_OK(fapi_profile_get(name, strlen(name), &p, &err));
    CHECK(p != NULL);
    return p;
}

static void test_result_codes(void) {
    CHECK_OK(fapi_result_name(FAPI_BAD_SIGNATURE, buf, sizeof buf, &n, &err));
    CHECK(n == 13 && memcmp(buf, "bad_signature", 13) == 0);
    CHECK_OK(fapi_result_name(FAPI_OK, buf, sizeof buf, &n, &err));
    CHECK(n == 2 && memcmp(buf, "ok", 2) == 0);
    CHECK_OK(fapi_result_name(FAPI_INSUFFICIENT_SIZE, buf, sizeof buf, &n, &err));
    CHECK(n == 17 && memcmp(buf, "insufficient_size", 17) == 0);
    CHECK_REFUSED(fapi_result_name(7, buf, sizeof buf, &n, &err), FAPI_INVALID_ARGUMENT,
                  "server_error");
    CHECK_CODE(fapi_result_name(FAPI_BAD_SIGNATURE, buf, 3, &n, &err), FAPI_INSUFFICIENT_SIZE);
    CHECK(n == 13);
    CHECK_CODE(fapi_result_name(FAPI_BAD_SIGNATURE, buf, sizeof buf, NULL, &err),
               FAPI_NULL_ARGUMENT);
    /* the same error, three sites, three OAuth errors */
    CHECK_OK(fapi_result_oauth_error(FAPI_BAD_SIGNATURE, FAPI_SITE_DPOP_PROOF, buf, sizeof buf,
                                     &n, &err));
    CHECK(n == 18 && memcmp(buf, "invalid_dpop_proof", n) == 0);
    CHECK_OK(fapi_result_oauth_error(FAPI_BAD_SIGNATURE, FAPI_SITE_CLIENT_AUTHENTICATION, buf,
                                     sizeof buf, &n, &err));
    CHECK(n == 14 && memcmp(buf, "invalid_client", n) == 0);
    CHECK_OK(fapi_result_oauth_error(FAPI_BAD_SIGNATURE, FAPI_SITE_RESOURCE_REQUEST, buf,
                                     sizeof buf, &n, &err));
    CHECK(n == 13 && memcmp(buf, "invalid_token", n) == 0);
    CHECK_OK(fapi_result_oauth_error(FAPI_DPOP_NONCE_REQUIRED, FAPI_SITE_RESOURCE_REQUEST, buf,
                                     sizeof buf, &n, &err));
    CHECK(n == 14 && memcmp(buf, "use_dpop_nonce", n) == 0);
    CHECK_OK(fapi_result_oauth_error(FAPI_PANIC, FAPI_SITE_SERVER, buf, sizeof buf, &n, &err));
    CHECK(n == 12 && memcmp(buf, "server_error", n) == 0);
    CHECK_CODE(fapi_result_oauth_error(FAPI_BAD_SIGNATURE, 99, buf, sizeof buf, &n, &err),
               FAPI_INVALID_ARGUMENT);
    CHECK_CODE(fapi_result_oauth_error(5, FAPI_SITE_SERVER, buf, sizeof buf, &n, &err),
               FAPI_INVALID_ARGUMENT);
    CHECK_CODE(fapi_result_oauth_error(FAPI_REPLAY, FAPI_SITE_SERVER, buf, 2, &n, &err),
               FAPI_INSUFFICIENT_SIZE);
    /* a NULL detail is fine; an empty detail after success */
    CHECK_OK(fapi_result_name(FAPI_REPLAY, buf, sizeof buf, &n, NULL));
    CHECK_OK(fapi_result_name(FAPI_REPLAY, buf, sizeof buf, &n, &err));
    CHECK(msg[0] == '\0' && oauth[0] == '\0');
}

static void test_profiles(void) {
    const char *names[] = {"fapi2", "fapi2-plus", "obie", "ofb", "cdr", "berlin", "fapi2-ms"};
    for (size_t i = 0; i < 7; i++) profile(names[i]);
    const fapi_profile *p = (const fapi_profile *)1;
    CHECK_REFUSED(fapi_profile_get(S("fapi1"), &p, &err), FAPI_PROFILE_VIOLATION, "server_error");
    CHECK(p == NULL);
    CHECK_CODE(fapi_profile_get(S("fapi2"), NULL, &err), FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_profile_get(NULL, 5, &p, &err), FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_profile_get("\xff", 1, &p, &err), FAPI_INVALID_ARGUMENT);
}

/* F2-PKCE through the C API: RFC 7636 Appendix B, a fresh pair, refusals. */
static void test_pkce(void) {
    CHECK_OK(fapi_pkce_challenge(S(RFC7636_VERIFIER), buf, sizeof buf, &n, &err));
    CHECK(n == FAPI_PKCE_LEN && memcmp(buf, RFC7636_CHALLENGE, n) == 0);
    CHECK_OK(fapi_pkce_verify(S(RFC7636_VERIFIER), S(RFC7636_CHALLENGE), &err));
    CHECK_REFUSED(fapi_pkce_verify(S("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl"),
                                   S(RFC7636_CHALLENGE), &err),
                  FAPI_PKCE_MISMATCH, "invalid_grant");
    CHECK_REFUSED(fapi_pkce_verify(S("short"), S(RFC7636_CHALLENGE), &err),
                  FAPI_PKCE_VERIFIER_FORMAT, "invalid_grant");
    CHECK_CODE(fapi_pkce_challenge(S("has space in it and is long enough to pass length"), buf,
                                   sizeof buf, &n, &err),
               FAPI_PKCE_VERIFIER_FORMAT);
    CHECK_CODE(fapi_pkce_challenge(S(RFC7636_VERIFIER), buf, 10, &n, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(n == FAPI_PKCE_LEN);
    CHECK_CODE(fapi_pkce_challenge(S(RFC7636_VERIFIER), buf, sizeof buf, NULL, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_pkce_verify(NULL, 43, S(RFC7636_CHALLENGE), &err), FAPI_NULL_ARGUMENT);

    char v[FAPI_PKCE_LEN], c[FAPI_PKCE_LEN], c2[FAPI_PKCE_LEN];
    size_t vn = 0, cn = 0, cn2 = 0;
    CHECK_OK(fapi_pkce_pair(v, sizeof v, &vn, c, sizeof c, &cn, &err));
    CHECK(vn == FAPI_PKCE_LEN && cn == FAPI_PKCE_LEN);
    CHECK_OK(fapi_pkce_verify(v, vn, c, cn, &err));
    CHECK_OK(fapi_pkce_challenge(v, vn, c2, sizeof c2, &cn2, &err));
    CHECK(cn2 == cn && memcmp(c, c2, cn) == 0);
    CHECK_CODE(fapi_pkce_pair(v, 4, &vn, c, sizeof c, &cn, &err), FAPI_INSUFFICIENT_SIZE);
    CHECK(vn == FAPI_PKCE_LEN);
    CHECK_CODE(fapi_pkce_pair(v, sizeof v, &vn, c, sizeof c, NULL, &err), FAPI_NULL_ARGUMENT);
}

static void test_thumbprints(void) {
    CHECK_OK(fapi_jwk_thumbprint(S(RFC7638_JWK), buf, sizeof buf, &n, &err));
    CHECK(n == 43 && memcmp(buf, RFC7638_THUMBPRINT, n) == 0);
    /* RFC 7638 §3.1 as printed: "alg":"RS256" is not a required member */
    CHECK_OK(fapi_jwk_thumbprint(S(RFC7638_JWK_AS_PRINTED), buf, sizeof buf, &n, &err));
    CHECK(n == 43 && memcmp(buf, RFC7638_THUMBPRINT, n) == 0);
    CHECK_OK(fapi_jwk_thumbprint(S(RFC8037_PUBLIC_JWK), buf, sizeof buf, &n, &err));
    CHECK(n == 43 && memcmp(buf, RFC8037_THUMBPRINT, n) == 0);
    /* RFC 7638 §3.1: the thumbprint of a private JWK is its public key's */
    CHECK_OK(fapi_jwk_thumbprint(S(RFC8037_PRIVATE_JWK), buf, sizeof buf, &n, &err));
    CHECK(n == 43 && memcmp(buf, RFC8037_THUMBPRINT, n) == 0);
    CHECK_CODE(fapi_jwk_thumbprint(S("{\"kty\":\"oct\",\"x\":\"AA\"}"), buf, sizeof buf, &n, &err),
               FAPI_UNSUPPORTED_KEY_TYPE);
    CHECK_CODE(fapi_jwk_thumbprint(S("{\"kty\":\"OKP\",\"kty\":\"EC\"}"), buf, sizeof buf, &n,
                                   &err),
               FAPI_DUPLICATE_MEMBER);
    CHECK_CODE(fapi_jwk_thumbprint(S("{"), buf, sizeof buf, &n, &err), FAPI_JSON);
    CHECK_CODE(fapi_jwk_thumbprint(S(RFC7638_JWK), buf, 42, &n, &err), FAPI_INSUFFICIENT_SIZE);
    CHECK(n == 43);
    CHECK_CODE(fapi_jwk_thumbprint(NULL, 3, buf, sizeof buf, &n, &err), FAPI_NULL_ARGUMENT);
}

static fapi_key *load(fapi_result (*f)(const char *, size_t, fapi_key **, fapi_error_detail *),
                      const char *text) {
    fapi_key *k = NULL;
    CHECK_OK(f(text, strlen(text), &k, &err));
    CHECK(k != NULL);
    return k;
}

static fapi_result from_pem(const char *t, size_t len, fapi_key **k, fapi_error_detail *e) {
    return fapi_key_from_pkcs8((const uint8_t *)t, len, k, e);
}

static void check_kid(const fapi_key *k, const char *want) {
    CHECK_OK(fapi_key_id(k, buf, sizeof buf, &n, &err));
    CHECK(n == strlen(want) && memcmp(buf, want, n) == 0);
}

static void test_keys(void) {
    fapi_key *k = NULL;
    fapi_alg alg = 0;
    /* PKCS#8 PEM and DER */
    k = load(from_pem, P256_PEM);
    check_kid(k, P256_THUMBPRINT);
    CHECK_OK(fapi_key_alg(k, &alg, &err));
    CHECK(alg == FAPI_ALG_ES256);
    CHECK_CODE(fapi_key_id(k, buf, 5, &n, &err), FAPI_INSUFFICIENT_SIZE);
    CHECK(n == 43);
    CHECK_CODE(fapi_key_alg(k, NULL, &err), FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_key_alg(NULL, &alg, &err), FAPI_NULL_ARGUMENT);
    fapi_key_free(k);
    CHECK_OK(fapi_key_from_pkcs8(P256_PKCS8_DER, sizeof P256_PKCS8_DER, &k, &err));
    check_kid(k, P256_THUMBPRINT);
    fapi_key_free(k);
    /* SEC1 (RFC 5915) PEM of the same key: the same key */
    k = load(from_pem, P256_SEC1_PEM);
    check_kid(k, P256_THUMBPRINT);
    fapi_key_free(k);
    /* a SEC1 document whose key aws-lc refuses keeps aws-lc's reason */
    CHECK_CODE(from_pem(S("-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n"),
                        &k, &err),
               FAPI_INVALID_KEY);
    CHECK(strstr(err.message, "SEC1") != NULL);
    k = load(from_pem, ED25519_PEM);
    check_kid(k, ED25519_THUMBPRINT);
    CHECK_OK(fapi_key_alg(k, &alg, &err));
    CHECK(alg == FAPI_ALG_EDDSA);
    fapi_key_free(k);
    /* RSA (PS256): PKCS#8, PKCS#1 and JWK forms of one key */
    k = load(from_pem, RSA_PKCS8_PEM);
    check_kid(k, RSA_THUMBPRINT);
    CHECK_OK(fapi_key_alg(k, &alg, &err));
    CHECK(alg == FAPI_ALG_PS256);
    fapi_key_free(k);
    k = load(from_pem, RSA_PKCS1_PEM);
    check_kid(k, RSA_THUMBPRINT);
    fapi_key_free(k);
    k = load(fapi_key_from_jwk, RSA_PRIVATE_JWK);
    check_kid(k, RSA_THUMBPRINT);
    fapi_key_free(k);
    /* refusals: another curve, garbage, truncated, encrypted, NULL */
    k = (fapi_key *)1;
    CHECK_REFUSED(from_pem(S(P384_PEM), &k, &err), FAPI_UNSUPPORTED_KEY_TYPE, "server_error");
    CHECK(k == NULL);
    CHECK_CODE(fapi_key_from_pkcs8((const uint8_t *)"garbage", 7, &k, &err), FAPI_INVALID_KEY);
    CHECK_CODE(fapi_key_from_pkcs8(P256_PKCS8_DER, 60, &k, &err), FAPI_INVALID_KEY);
    CHECK_CODE(from_pem(S("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMA==\n-----END ENCRYPTED "
                          "PRIVATE KEY-----\n"),
                        &k, &err),
               FAPI_UNSUPPORTED_KEY_TYPE);
    CHECK_CODE(from_pem(S("-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n"), &k,
                        &err),
               FAPI_INVALID_KEY);
    CHECK_CODE(fapi_key_from_pkcs8(NULL, 5, &k, &err), FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_key_from_pkcs8(P256_PKCS8_DER, sizeof P256_PKCS8_DER, NULL, &err),
               FAPI_NULL_ARGUMENT);

    /* private JWKs: RFC 8037 A.1 and the P-256 key as a JWK with a kid */
    k = load(fapi_key_from_jwk, RFC8037_PRIVATE_JWK);
    check_kid(k, RFC8037_THUMBPRINT);
    fapi_key_free(k);
    k = load(fapi_key_from_jwk, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"as-1\",\"x\":\"" P256_X
                                "\",\"y\":\"" P256_Y "\",\"d\":\"" P256_D "\"}");
    check_kid(k, "as-1");
    fapi_key_free(k);
    /* public members that are not the private key's */
    CHECK_REFUSED(fapi_key_from_jwk(S("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" P256_Y
                                      "\",\"y\":\"" P256_X "\",\"d\":\"" P256_D "\"}"),
                                    &k, &err),
                  FAPI_INVALID_KEY, "server_error");
    CHECK_CODE(fapi_key_from_jwk(S(RFC8037_PUBLIC_JWK), &k, &err), FAPI_INVALID_KEY);
    CHECK_CODE(fapi_key_from_jwk(S("{\"kty\":\"EC\",\"crv\":\"P-384\",\"d\":\"AA\"}"), &k, &err),
               FAPI_UNSUPPORTED_KEY_TYPE);
    CHECK_CODE(fapi_key_from_jwk(S("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"alg\":\"ES256\",\"d\":"
                                   "\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\",\"x\":"
                                   "\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}"),
                                 &k, &err),
               FAPI_KEY_ALG_MISMATCH);
    CHECK_CODE(fapi_key_from_jwk(S("{\"kty\":\"OKP\",\"kty\":\"OKP\"}"), &k, &err),
               FAPI_DUPLICATE_MEMBER);
    CHECK_CODE(fapi_key_from_jwk(S("[]"), &k, &err), FAPI_JSON);
    CHECK_CODE(fapi_key_from_jwk(NULL, 2, &k, &err), FAPI_NULL_ARGUMENT);

    /* generated keys of the three algorithms */
    fapi_alg algs[] = {FAPI_ALG_ES256, FAPI_ALG_EDDSA, FAPI_ALG_PS256};
    for (size_t i = 0; i < 3; i++) {
        CHECK_OK(fapi_key_generate(algs[i], &k, &err));
        CHECK_OK(fapi_key_alg(k, &alg, &err));
        CHECK(alg == algs[i]);
        fapi_public_key *pub = NULL;
        CHECK_OK(fapi_key_public(k, &pub, &err));
        CHECK_OK(fapi_public_key_jwk(pub, buf, sizeof buf, &n, &err));
        /* the JWK's thumbprint is the key id */
        char tp[64];
        size_t tn = 0;
        CHECK_OK(fapi_jwk_thumbprint(buf, n, tp, sizeof tp, &tn, &err));
        CHECK_OK(fapi_key_id(k, buf, sizeof buf, &n, &err));
        CHECK(tn == n && memcmp(tp, buf, n) == 0);
        CHECK_CODE(fapi_public_key_jwk(pub, buf, 10, &n, &err), FAPI_INSUFFICIENT_SIZE);
        CHECK(n > 10);
        fapi_public_key_free(pub);
        fapi_key_free(k);
    }
    CHECK_REFUSED(fapi_key_generate(42, &k, &err), FAPI_INVALID_ARGUMENT, "server_error");
    CHECK_CODE(fapi_key_generate(FAPI_ALG_ES256, NULL, &err), FAPI_NULL_ARGUMENT);
    fapi_public_key *pub = (fapi_public_key *)1;
    CHECK_CODE(fapi_key_public(NULL, &pub, &err), FAPI_NULL_ARGUMENT);
    CHECK(pub == NULL);
    CHECK_OK(fapi_public_key_from_jwk(S(RFC7638_JWK), &pub, &err));
    fapi_public_key_free(pub);
    CHECK_CODE(fapi_public_key_from_jwk(S(RFC8037_PRIVATE_JWK), &pub, &err),
               FAPI_PRIVATE_KEY_MEMBER);
    CHECK_CODE(fapi_public_key_jwk(NULL, buf, sizeof buf, &n, &err), FAPI_NULL_ARGUMENT);
    /* _free(NULL) is fine */
    fapi_key_free(NULL);
    fapi_public_key_free(NULL);
    fapi_replay_cache_free(NULL);
    fapi_verified_dpop_proof_free(NULL);
}

static void test_jwks(void) {
    fapi_key *a = load(from_pem, P256_PEM), *b = load(fapi_key_from_jwk, RFC8037_PRIVATE_JWK);
    const fapi_key *keys[] = {a, b};
    CHECK_OK(fapi_jwks_write(keys, 2, buf, sizeof buf, &n, &err));
    buf[n] = '\0';
    CHECK(strncmp(buf, "{\"keys\":[{\"kty\":\"EC\"", 20) == 0);
    CHECK(strstr(buf, "\"kid\":\"" P256_THUMBPRINT "\"") != NULL);
    CHECK(strstr(buf, "\"kid\":\"" RFC8037_THUMBPRINT "\"") != NULL);
    CHECK(strstr(buf, "\"d\"") == NULL);
    size_t full = n;
    CHECK_CODE(fapi_jwks_write(keys, 2, buf, 20, &n, &err), FAPI_INSUFFICIENT_SIZE);
    CHECK(n == full);
    CHECK_CODE(fapi_jwks_write(keys, 2, NULL, 0, &n, &err), FAPI_INSUFFICIENT_SIZE);
    CHECK(n == full);
    CHECK_OK(fapi_jwks_write(NULL, 0, buf, sizeof buf, &n, &err));
    CHECK(n == 11 && memcmp(buf, "{\"keys\":[]}", 11) == 0);
    const fapi_key *with_null[] = {a, NULL};
    CHECK_CODE(fapi_jwks_write(with_null, 2, buf, sizeof buf, &n, &err), FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_jwks_write(NULL, 2, buf, sizeof buf, &n, &err), FAPI_NULL_ARGUMENT);
    fapi_key_free(a);
    fapi_key_free(b);
}

/* F2-ALG through the C API: the allow-list, the key's algorithm. */
static void test_jws_and_jwt(void) {
    fapi_public_key *ed = NULL;
    CHECK_OK(fapi_public_key_from_jwk(S(RFC8037_PUBLIC_JWK), &ed, &err));
    fapi_alg eddsa[] = {FAPI_ALG_EDDSA}, es256[] = {FAPI_ALG_ES256},
             all[] = {FAPI_ALG_PS256, FAPI_ALG_ES256, FAPI_ALG_EDDSA};
    /* RFC 8037 A.5 */
    CHECK_OK(fapi_jws_verify(S(RFC8037_JWS), ed, eddsa, 1, NULL, 0, (uint8_t *)buf, sizeof buf,
                             &n, &err));
    CHECK(n == strlen(RFC8037_PAYLOAD) && memcmp(buf, RFC8037_PAYLOAD, n) == 0);
    CHECK_REFUSED(fapi_jws_verify(S(RFC8037_JWS), ed, es256, 1, NULL, 0, (uint8_t *)buf,
                                  sizeof buf, &n, &err),
                  FAPI_ALG_NOT_ALLOWED, "invalid_token");
    CHECK_CODE(fapi_jws_verify(S(RFC8037_JWS), ed, NULL, 0, NULL, 0, (uint8_t *)buf, sizeof buf,
                               &n, &err),
               FAPI_ALG_NOT_ALLOWED);
    CHECK_CODE(fapi_jws_verify(S(RFC8037_JWS), ed, eddsa, 1, S("JWT"), (uint8_t *)buf,
                               sizeof buf, &n, &err),
               FAPI_WRONG_TYPE);
    CHECK_CODE(fapi_jws_verify(S(RFC8037_JWS), ed, eddsa, 1, NULL, 0, (uint8_t *)buf, 3, &n,
                               &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(n == strlen(RFC8037_PAYLOAD));
    fapi_alg bogus[] = {9};
    CHECK_CODE(fapi_jws_verify(S(RFC8037_JWS), ed, bogus, 1, NULL, 0, (uint8_t *)buf, sizeof buf,
                               &n, &err),
               FAPI_INVALID_ARGUMENT);
    /* alg none, a flipped signature, a JWE */
    CHECK_CODE(fapi_jws_verify(S("eyJhbGciOiJub25lIn0.e30."), ed, all, 3, NULL, 0,
                               (uint8_t *)buf, sizeof buf, &n, &err),
               FAPI_UNSUPPORTED_ALG);
    char bad[] = RFC8037_JWS;
    bad[sizeof bad - 3] = bad[sizeof bad - 3] == 'A' ? 'B' : 'A';
    CHECK_CODE(fapi_jws_verify(bad, sizeof bad - 1, ed, eddsa, 1, NULL, 0, (uint8_t *)buf,
                               sizeof buf, &n, &err),
               FAPI_BAD_SIGNATURE);
    CHECK_CODE(fapi_jws_verify(S("a.b.c.d.e"), ed, eddsa, 1, NULL, 0, (uint8_t *)buf, sizeof buf,
                               &n, &err),
               FAPI_ENCRYPTED);
    CHECK_CODE(fapi_jws_verify(S(RFC8037_JWS), NULL, eddsa, 1, NULL, 0, (uint8_t *)buf,
                               sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);

    /* sign and verify a JWT with a generated key */
    fapi_key *k = NULL;
    fapi_public_key *pub = NULL;
    CHECK_OK(fapi_key_generate(FAPI_ALG_ES256, &k, &err));
    CHECK_OK(fapi_key_public(k, &pub, &err));
    char claims[] = "{\"iss\":\"" AS_ISSUER "\",\"aud\":[\"x\",\"" RS_AUDIENCE
                    "\"],\"exp\":1900000100,\"iat\":1900000000}";
    char jwt[2048];
    size_t jn = 0;
    CHECK_OK(fapi_jws_sign(k, S("JWT"), (const uint8_t *)claims, strlen(claims), jwt, sizeof jwt,
                           &jn, &err));
    CHECK_CODE(fapi_jws_sign(k, S("JWT"), (const uint8_t *)claims, strlen(claims), jwt, 10, &n,
                             &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(n == jn);
    CHECK_CODE(fapi_jws_sign(NULL, S("JWT"), (const uint8_t *)claims, strlen(claims), jwt,
                             sizeof jwt, &n, &err),
               FAPI_NULL_ARGUMENT);
    fapi_jwt_expectations ex = {S("JWT"), S(AS_ISSUER), S(RS_AUDIENCE), NOW, 10};
    CHECK_OK(fapi_jwt_verify(jwt, jn, pub, es256, 1, &ex, buf, sizeof buf, &n, &err));
    CHECK(n == strlen(claims) && memcmp(buf, claims, n) == 0);
    CHECK_CODE(fapi_jwt_verify(jwt, jn, pub, es256, 1, &ex, buf, 4, &n, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(n == strlen(claims));
    ex.now = 1900000100 + 10; /* exp plus the leeway */
    CHECK_REFUSED(fapi_jwt_verify(jwt, jn, pub, es256, 1, &ex, buf, sizeof buf, &n, &err),
                  FAPI_EXPIRED, "invalid_token");
    /* the message shows exp against now */
    CHECK(strstr(msg, "exp 1900000100") != NULL && strstr(msg, "now 1900000110") != NULL);
    ex.now = NOW - 100;
    CHECK_CODE(fapi_jwt_verify(jwt, jn, pub, es256, 1, &ex, buf, sizeof buf, &n, &err),
               FAPI_ISSUED_IN_FUTURE);
    ex.now = NOW;
    ex.issuer = "https://evil.example";
    ex.issuer_len = strlen(ex.issuer);
    CHECK_CODE(fapi_jwt_verify(jwt, jn, pub, es256, 1, &ex, buf, sizeof buf, &n, &err),
               FAPI_WRONG_ISSUER);
    /* expected against got */
    CHECK(strstr(msg, "expected iss \"https://evil.example\", got \"" AS_ISSUER "\"") != NULL);
    ex.issuer = AS_ISSUER;
    ex.issuer_len = strlen(AS_ISSUER);
    ex.audience = "https://other.example";
    ex.audience_len = strlen(ex.audience);
    CHECK_CODE(fapi_jwt_verify(jwt, jn, pub, es256, 1, &ex, buf, sizeof buf, &n, &err),
               FAPI_WRONG_AUDIENCE);
    CHECK(strstr(msg, "https://other.example") != NULL && strstr(msg, RS_AUDIENCE) != NULL);
    /* an empty audience: the message says that it is required */
    ex.audience = "";
    ex.audience_len = 0;
    CHECK_CODE(fapi_jwt_verify(jwt, jn, pub, es256, 1, &ex, buf, sizeof buf, &n, &err),
               FAPI_PROFILE_VIOLATION);
    CHECK(strstr(msg, "expect.audience is required") != NULL);
    ex.audience = "https://other.example";
    ex.audience_len = strlen(ex.audience);
    CHECK_CODE(fapi_jwt_verify(jwt, jn, pub, es256, 1, NULL, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);
    /* the Ed25519 key cannot verify an ES256 token */
    CHECK_CODE(fapi_jwt_verify(jwt, jn, ed, all, 3, &ex, buf, sizeof buf, &n, &err),
               FAPI_KEY_ALG_MISMATCH);
    /* the issuer and audience are required */
    ex.audience = NULL;
    CHECK_CODE(fapi_jwt_verify(jwt, jn, pub, es256, 1, &ex, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);
    /* more than 60 s of leeway cannot be set */
    ex.audience = RS_AUDIENCE;
    ex.audience_len = strlen(RS_AUDIENCE);
    ex.leeway = 61;
    CHECK_CODE(fapi_jwt_verify(jwt, jn, pub, es256, 1, &ex, buf, sizeof buf, &n, &err),
               FAPI_PROFILE_VIOLATION);
    ex.leeway = 10;
    /* a JWT without exp, without typ (then absent or JWT) */
    char noexp[] = "{\"iss\":\"" AS_ISSUER "\",\"aud\":\"" RS_AUDIENCE "\"}";
    CHECK_OK(fapi_jws_sign(k, NULL, 0, (const uint8_t *)noexp, strlen(noexp), jwt, sizeof jwt,
                           &jn, &err));
    ex.typ = NULL;
    CHECK_CODE(fapi_jwt_verify(jwt, jn, pub, es256, 1, &ex, buf, sizeof buf, &n, &err),
               FAPI_MISSING_CLAIM);
    CHECK(strstr(msg, "missing claim exp") != NULL);
    fapi_public_key_free(pub);
    fapi_public_key_free(ed);
    fapi_key_free(k);
}

static void test_replay_cache(void) {
    fapi_replay_cache *c = (fapi_replay_cache *)1;
    CHECK_REFUSED(fapi_replay_cache_new(0, &c, &err), FAPI_INVALID_ARGUMENT, "server_error");
    CHECK(c == NULL);
    CHECK_CODE(fapi_replay_cache_new(16, NULL, &err), FAPI_NULL_ARGUMENT);
    CHECK_OK(fapi_replay_cache_new(16, &c, &err));
    fapi_replay_cache_free(c);
}

/* RFC 9449 §4.1 Figure 2 through the C API, then proofs this API makes. */
static void test_dpop(void) {
    const fapi_profile *fapi2 = profile("fapi2");
    fapi_replay_cache *cache = NULL;
    CHECK_OK(fapi_replay_cache_new(1024, &cache, &err));
    fapi_dpop_request token_req = {S("POST"), S("https://server.example.com/token"), NULL, 0, NULL, NULL, 0};
    char jkt[64];
    size_t jn = 0;
    fapi_verified_dpop_proof *vp = NULL;
    CHECK_OK(fapi_dpop_proof_verify(fapi2, S(RFC9449_PROOF), &token_req, cache, RFC9449_IAT, jkt,
                                    sizeof jkt, &jn, &vp, &err));
    CHECK(jn == 43 && memcmp(jkt, RFC9449_JKT, 43) == 0);
    CHECK(vp != NULL);
    CHECK_OK(fapi_verified_dpop_proof_jkt(vp, buf, sizeof buf, &n, &err));
    CHECK(n == 43 && memcmp(buf, RFC9449_JKT, 43) == 0);
    CHECK_CODE(fapi_verified_dpop_proof_jkt(vp, buf, 4, &n, &err), FAPI_INSUFFICIENT_SIZE);
    CHECK_CODE(fapi_verified_dpop_proof_jkt(NULL, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);
    fapi_verified_dpop_proof_free(vp);
    /* the same proof again: its jti was recorded */
    CHECK_REFUSED(fapi_dpop_proof_verify(fapi2, S(RFC9449_PROOF), &token_req, cache, RFC9449_IAT,
                                         jkt, sizeof jkt, &jn, NULL, &err),
                  FAPI_REPLAY, "invalid_dpop_proof");
    /* another method, another URI, too late, PS256-only profile */
    fapi_replay_cache *fresh = NULL;
    CHECK_OK(fapi_replay_cache_new(16, &fresh, &err));
    fapi_dpop_request wrong = {S("GET"), S("https://server.example.com/token"), NULL, 0, NULL, NULL, 0};
    CHECK_REFUSED(fapi_dpop_proof_verify(fapi2, S(RFC9449_PROOF), &wrong, fresh, RFC9449_IAT, jkt,
                                         sizeof jkt, &jn, NULL, &err),
                  FAPI_DPOP_METHOD, "invalid_dpop_proof");
    CHECK(strstr(msg, "expected htm \"GET\", got \"POST\"") != NULL);
    fapi_dpop_request wrong_uri = {S("POST"), S("https://server.example.com/other"), NULL, 0, NULL, NULL, 0};
    CHECK_CODE(fapi_dpop_proof_verify(fapi2, S(RFC9449_PROOF), &wrong_uri, fresh, RFC9449_IAT,
                                      jkt, sizeof jkt, &jn, NULL, &err),
               FAPI_DPOP_URI);
    /* RFC 9449 §4.3: the htu expected and the htu of the proof */
    CHECK(strstr(msg, "expected htu \"https://server.example.com/other\"") != NULL &&
          strstr(msg, "got \"https://server.example.com/token\"") != NULL);
    CHECK_CODE(fapi_dpop_proof_verify(fapi2, S(RFC9449_PROOF), &token_req, fresh,
                                      RFC9449_IAT + 3600, jkt, sizeof jkt, &jn, NULL, &err),
               FAPI_TOO_OLD);
    CHECK(strstr(msg, "now 1562266216") != NULL);
    CHECK_CODE(fapi_dpop_proof_verify(profile("obie"), S(RFC9449_PROOF), &token_req, fresh,
                                      RFC9449_IAT, jkt, sizeof jkt, &jn, NULL, &err),
               FAPI_ALG_NOT_ALLOWED);
    /* a resource request: the proof has no ath */
    fapi_dpop_request with_token = {S("POST"), S("https://server.example.com/token"),
                                    S("some-token"), NULL, NULL, 0};
    CHECK_CODE(fapi_dpop_proof_verify(fapi2, S(RFC9449_PROOF), &with_token, fresh, RFC9449_IAT,
                                      jkt, sizeof jkt, &jn, NULL, &err),
               FAPI_DPOP_ATH);
    /* the jkt buffer too small: refused before the proof is used */
    CHECK_CODE(fapi_dpop_proof_verify(fapi2, S(RFC9449_PROOF), &token_req, fresh, RFC9449_IAT,
                                      jkt, 10, &jn, NULL, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(jn == 43);
    CHECK_OK(fapi_dpop_proof_verify(fapi2, S(RFC9449_PROOF), &token_req, fresh, RFC9449_IAT, jkt,
                                    sizeof jkt, &jn, NULL, &err));
    CHECK_CODE(fapi_dpop_proof_verify(fapi2, S(RFC9449_PROOF), &token_req, NULL, RFC9449_IAT, jkt,
                                      sizeof jkt, &jn, NULL, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_dpop_proof_verify(NULL, S(RFC9449_PROOF), &token_req, fresh, RFC9449_IAT, jkt,
                                      sizeof jkt, &jn, NULL, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_dpop_proof_verify(fapi2, S(RFC9449_PROOF), NULL, fresh, RFC9449_IAT, jkt,
                                      sizeof jkt, &jn, NULL, &err),
               FAPI_NULL_ARGUMENT);

    /* proofs made here, with and without ath */
    fapi_key *client = NULL;
    CHECK_OK(fapi_key_generate(FAPI_ALG_EDDSA, &client, &err));
    fapi_dpop_proof_params pp = {S("POST"), S(TOKEN_URI), NOW, NULL, 0, NULL, 0};
    char proof[4096];
    size_t pn = 0;
    CHECK_OK(fapi_dpop_proof_create(client, &pp, proof, sizeof proof, &pn, &err));
    fapi_dpop_request req = {S("POST"), S(TOKEN_URI), NULL, 0, NULL, NULL, 0};
    CHECK_OK(fapi_dpop_proof_verify(fapi2, proof, pn, &req, cache, NOW, jkt, sizeof jkt, &jn,
                                    NULL, &err));
    CHECK_OK(fapi_key_id(client, buf, sizeof buf, &n, &err));
    CHECK(n == jn && memcmp(buf, jkt, n) == 0);
    CHECK_CODE(fapi_dpop_proof_create(client, &pp, proof, 16, &n, &err), FAPI_INSUFFICIENT_SIZE);
    CHECK(n == pn);
    CHECK_CODE(fapi_dpop_proof_create(client, NULL, proof, sizeof proof, &n, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_dpop_proof_create(NULL, &pp, proof, sizeof proof, &n, &err),
               FAPI_NULL_ARGUMENT);
    fapi_dpop_proof_params bad_htm = {NULL, 4, S(TOKEN_URI), NOW, NULL, 0, NULL, 0};
    CHECK_CODE(fapi_dpop_proof_create(client, &bad_htm, proof, sizeof proof, &n, &err),
               FAPI_NULL_ARGUMENT);

    /* server nonces (RFC 9449 §8): required, issued, checked */
    fapi_dpop_nonces *nonces = (fapi_dpop_nonces *)1;
    CHECK_REFUSED(fapi_dpop_nonces_new((const uint8_t *)"short", 5, 60, &nonces, &err),
                  FAPI_INVALID_KEY, "server_error");
    CHECK(nonces == NULL);
    CHECK_CODE(fapi_dpop_nonces_new(NULL, 0, 60, NULL, &err), FAPI_NULL_ARGUMENT);
    const uint8_t nonce_key[32] = {1, 2, 3};
    CHECK_OK(fapi_dpop_nonces_new(nonce_key, sizeof nonce_key, 0, &nonces, &err));
    fapi_dpop_request nreq = {S("POST"), S(TOKEN_URI), NULL, 0, nonces, S_U8("fintech-1")};
    CHECK_OK(fapi_dpop_proof_create(client, &pp, proof, sizeof proof, &pn, &err));
    CHECK_REFUSED(fapi_dpop_proof_verify(fapi2, proof, pn, &nreq, cache, NOW, jkt, sizeof jkt, &jn,
                                         NULL, &err),
                  FAPI_DPOP_NONCE_REQUIRED, "use_dpop_nonce");
    char nonce[64];
    size_t nn = 0;
    CHECK_OK(fapi_dpop_nonces_issue(nonces, NOW, S_U8("fintech-1"), nonce, sizeof nonce, &nn,
                                    &err));
    CHECK(nn == 43);
    fapi_dpop_proof_params with_nonce = {S("POST"), S(TOKEN_URI), NOW, NULL, 0, nonce, nn};
    CHECK_OK(fapi_dpop_proof_create(client, &with_nonce, proof, sizeof proof, &pn, &err));
    CHECK_OK(fapi_dpop_proof_verify(fapi2, proof, pn, &nreq, cache, NOW, jkt, sizeof jkt, &jn,
                                    NULL, &err));
    /* a nonce for another client, and one two buckets old */
    CHECK_OK(fapi_dpop_nonces_issue(nonces, NOW, S_U8("fintech-2"), nonce, sizeof nonce, &nn,
                                    &err));
    CHECK_OK(fapi_dpop_proof_create(client, &with_nonce, proof, sizeof proof, &pn, &err));
    CHECK_REFUSED(fapi_dpop_proof_verify(fapi2, proof, pn, &nreq, cache, NOW, jkt, sizeof jkt, &jn,
                                         NULL, &err),
                  FAPI_DPOP_NONCE_INVALID, "use_dpop_nonce");
    CHECK_OK(fapi_dpop_nonces_issue(nonces, NOW - 130, S_U8("fintech-1"), nonce, sizeof nonce,
                                    &nn, &err));
    CHECK_OK(fapi_dpop_proof_create(client, &with_nonce, proof, sizeof proof, &pn, &err));
    CHECK_CODE(fapi_dpop_proof_verify(fapi2, proof, pn, &nreq, cache, NOW, jkt, sizeof jkt, &jn,
                                      NULL, &err),
               FAPI_DPOP_NONCE_INVALID);
    CHECK_CODE(fapi_dpop_nonces_issue(nonces, NOW, NULL, 0, nonce, 8, &nn, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(nn == 43);
    CHECK_CODE(fapi_dpop_nonces_issue(NULL, NOW, NULL, 0, nonce, sizeof nonce, &nn, &err),
               FAPI_NULL_ARGUMENT);
    fapi_dpop_nonces_free(nonces);
    CHECK_OK(fapi_dpop_nonces_new(NULL, 0, 30, &nonces, &err));
    fapi_dpop_nonces_free(nonces);
    fapi_dpop_nonces_free(NULL);

    fapi_key_free(client);
    fapi_replay_cache_free(fresh);
    fapi_replay_cache_free(cache);
}

/* F2-SENDER, CDR-AT-TTL, OB-ALG through the C API: a DPoP-bound token from
 * issue to the resource server, and every refusal on the way. */
static void test_access_tokens(void) {
    const fapi_profile *fapi2 = profile("fapi2"), *cdr = profile("cdr"), *obie = profile("obie");
    fapi_replay_cache *cache = NULL;
    CHECK_OK(fapi_replay_cache_new(1024, &cache, &err));
    fapi_key *as = NULL, *client = NULL, *other = NULL;
    CHECK_OK(fapi_key_generate(FAPI_ALG_ES256, &as, &err));
    CHECK_OK(fapi_key_generate(FAPI_ALG_ES256, &client, &err));
    CHECK_OK(fapi_key_generate(FAPI_ALG_ES256, &other, &err));
    fapi_public_key *as_pub = NULL;
    CHECK_OK(fapi_key_public(as, &as_pub, &err));

    /* token endpoint: the client's proof, verified */
    fapi_dpop_proof_params pp = {S("POST"), S(TOKEN_URI), NOW, NULL, 0, NULL, 0};
    char proof[4096], jkt[64];
    size_t pn = 0, jn = 0;
    CHECK_OK(fapi_dpop_proof_create(client, &pp, proof, sizeof proof, &pn, &err));
    fapi_dpop_request treq = {S("POST"), S(TOKEN_URI), NULL, 0, NULL, NULL, 0};
    fapi_verified_dpop_proof *vp = NULL;
    CHECK_OK(fapi_dpop_proof_verify(fapi2, proof, pn, &treq, cache, NOW, jkt, sizeof jkt, &jn,
                                    &vp, &err));

    fapi_access_token_params tp = {S(AS_ISSUER),  S("alice"), S(RS_AUDIENCE), S("fintech-1"),
                                   S("accounts"), NOW,        300,            vp,
                                   NULL,          0,          NULL,           0};
    char token[4096];
    size_t tn = 0;
    CHECK_OK(fapi_access_token_issue(fapi2, as, &tp, token, sizeof token, &tn, &err));
    CHECK_CODE(fapi_access_token_issue(fapi2, as, &tp, token, 100, &n, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(n == tn);

    /* resource server: a proof with ath for this token */
    fapi_dpop_proof_params rp = {S("GET"), S(RESOURCE_URI), NOW, token, tn, NULL, 0};
    CHECK_OK(fapi_dpop_proof_create(client, &rp, proof, sizeof proof, &pn, &err));
    fapi_token_expectations ex = {S(AS_ISSUER), S(RS_AUDIENCE), 10};
    fapi_resource_request rr = {token, tn, S("GET"), S(RESOURCE_URI), proof, pn, NULL, 0, NOW, NULL, NULL, 0};
    /* a leeway over 60 s is refused before the proof's jti is used */
    ex.leeway = 61;
    CHECK_CODE(fapi_access_token_verify(fapi2, as_pub, &ex, &rr, cache, buf, sizeof buf, &n, &err),
               FAPI_PROFILE_VIOLATION);
    ex.leeway = 10;
    CHECK_OK(fapi_access_token_verify(fapi2, as_pub, &ex, &rr, cache, buf, sizeof buf, &n, &err));
    buf[n] = '\0';
    CHECK(strstr(buf, "\"sub\":\"alice\"") != NULL);
    CHECK(strstr(buf, "\"scope\":\"accounts\"") != NULL);
    jkt[jn] = '\0';
    CHECK(strstr(buf, jkt) != NULL);
    /* replayed proof */
    CHECK_REFUSED(
        fapi_access_token_verify(fapi2, as_pub, &ex, &rr, cache, buf, sizeof buf, &n, &err),
        FAPI_REPLAY, "invalid_dpop_proof");
    /* no proof at all */
    fapi_resource_request bare = {token, tn, S("GET"), S(RESOURCE_URI), NULL, 0, NULL, 0, NOW, NULL, NULL, 0};
    CHECK_REFUSED(
        fapi_access_token_verify(fapi2, as_pub, &ex, &bare, cache, buf, sizeof buf, &n, &err),
        FAPI_DPOP_MISSING, "invalid_dpop_proof");
    /* a proof of another key */
    CHECK_OK(fapi_dpop_proof_create(other, &rp, proof, sizeof proof, &pn, &err));
    rr.dpop_proof_len = pn;
    CHECK_REFUSED(
        fapi_access_token_verify(fapi2, as_pub, &ex, &rr, cache, buf, sizeof buf, &n, &err),
        FAPI_DPOP_KEY_MISMATCH, "invalid_dpop_proof");
    /* a proof for another token (ath) */
    fapi_dpop_proof_params rp2 = {S("GET"), S(RESOURCE_URI), NOW, S("another-token"), NULL, 0};
    CHECK_OK(fapi_dpop_proof_create(client, &rp2, proof, sizeof proof, &pn, &err));
    rr.dpop_proof_len = pn;
    CHECK_REFUSED(
        fapi_access_token_verify(fapi2, as_pub, &ex, &rr, cache, buf, sizeof buf, &n, &err),
        FAPI_DPOP_ATH, "invalid_dpop_proof");
    /* a forged token signature: invalid_token */
    CHECK_OK(fapi_dpop_proof_create(client, &rp, proof, sizeof proof, &pn, &err));
    rr.dpop_proof_len = pn;
    char forged[4096];
    memcpy(forged, token, tn);
    forged[tn - 2] = forged[tn - 2] == 'A' ? 'B' : 'A';
    rr.access_token = forged;
    rp.access_token = forged;
    CHECK_OK(fapi_dpop_proof_create(client, &rp, proof, sizeof proof, &pn, &err));
    rr.dpop_proof_len = pn;
    CHECK_REFUSED(
        fapi_access_token_verify(fapi2, as_pub, &ex, &rr, cache, buf, sizeof buf, &n, &err),
        FAPI_BAD_SIGNATURE, "invalid_token");
    rr.access_token = token;
    rp.access_token = token;
    /* the wrong audience; expired */
    CHECK_OK(fapi_dpop_proof_create(client, &rp, proof, sizeof proof, &pn, &err));
    rr.dpop_proof_len = pn;
    fapi_token_expectations other_rs = {S(AS_ISSUER), S("https://other.example"), 10};
    CHECK_REFUSED(
        fapi_access_token_verify(fapi2, as_pub, &other_rs, &rr, cache, buf, sizeof buf, &n, &err),
        FAPI_WRONG_AUDIENCE, "invalid_token");
    CHECK(strstr(msg, "expected aud \"https://other.example\"") != NULL &&
          strstr(msg, "got \"" RS_AUDIENCE "\"") != NULL);
    /* a resource server that requires DPoP nonces */
    fapi_dpop_nonces *nonces = NULL;
    CHECK_OK(fapi_dpop_nonces_new(NULL, 0, 0, &nonces, &err));
    CHECK_OK(fapi_dpop_proof_create(client, &rp, proof, sizeof proof, &pn, &err));
    rr.dpop_proof_len = pn;
    rr.nonces = nonces;
    CHECK_REFUSED(
        fapi_access_token_verify(fapi2, as_pub, &ex, &rr, cache, buf, sizeof buf, &n, &err),
        FAPI_DPOP_NONCE_REQUIRED, "use_dpop_nonce");
    char nonce[64];
    size_t nn = 0;
    CHECK_OK(fapi_dpop_nonces_issue(nonces, NOW, NULL, 0, nonce, sizeof nonce, &nn, &err));
    fapi_dpop_proof_params rpn = {S("GET"), S(RESOURCE_URI), NOW, token, tn, nonce, nn};
    CHECK_OK(fapi_dpop_proof_create(client, &rpn, proof, sizeof proof, &pn, &err));
    rr.dpop_proof_len = pn;
    CHECK_OK(fapi_access_token_verify(fapi2, as_pub, &ex, &rr, cache, buf, sizeof buf, &n, &err));
    rr.nonces = NULL;
    fapi_dpop_nonces_free(nonces);
    /* claims buffer too small */
    CHECK_OK(fapi_dpop_proof_create(client, &rp, proof, sizeof proof, &pn, &err));
    rr.dpop_proof_len = pn;
    CHECK_CODE(fapi_access_token_verify(fapi2, as_pub, &ex, &rr, cache, buf, 8, &n, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(n == tn + strlen(AS_ISSUER) + strlen(RS_AUDIENCE) + 128);
    /* refused before the proof was used: the same request then passes */
    CHECK_OK(fapi_access_token_verify(fapi2, as_pub, &ex, &rr, cache, buf, n, &n, &err));
    /* NULL arguments; a proof without a cache */
    CHECK_CODE(fapi_access_token_verify(fapi2, NULL, &ex, &rr, cache, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_access_token_verify(fapi2, as_pub, NULL, &rr, cache, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_access_token_verify(fapi2, as_pub, &ex, NULL, cache, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_access_token_verify(fapi2, as_pub, &ex, &rr, NULL, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);

    /* issue refusals: no sender constraint, both, lifetime, profile algs */
    fapi_access_token_params bearer = tp;
    bearer.dpop = NULL;
    CHECK_REFUSED(fapi_access_token_issue(fapi2, as, &bearer, token, sizeof token, &n, &err),
                  FAPI_SENDER_CONSTRAINT_MISSING, "server_error");
    const uint8_t cert[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    fapi_access_token_params both = tp;
    both.client_cert_der = cert;
    both.client_cert_der_len = sizeof cert;
    CHECK_CODE(fapi_access_token_issue(fapi2, as, &both, token, sizeof token, &n, &err),
               FAPI_INVALID_PARAMETER);
    fapi_access_token_params longer = tp;
    longer.lifetime = 601;
    longer.dpop = NULL;
    longer.client_cert_der = cert;
    longer.client_cert_der_len = sizeof cert;
    CHECK_CODE(fapi_access_token_issue(cdr, as, &longer, token, sizeof token, &n, &err),
               FAPI_LIFETIME_TOO_LONG);
    CHECK_CODE(fapi_access_token_issue(obie, as, &longer, token, sizeof token, &n, &err),
               FAPI_ALG_NOT_ALLOWED);
    CHECK_CODE(fapi_access_token_issue(cdr, as, &tp, token, sizeof token, &n, &err),
               FAPI_SENDER_CONSTRAINT_MISSING);
    CHECK_CODE(fapi_access_token_issue(NULL, as, &tp, token, sizeof token, &n, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_access_token_issue(fapi2, NULL, &tp, token, sizeof token, &n, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_access_token_issue(fapi2, as, NULL, token, sizeof token, &n, &err),
               FAPI_NULL_ARGUMENT);
    fapi_access_token_params no_iss = tp;
    no_iss.issuer = NULL;
    CHECK_CODE(fapi_access_token_issue(fapi2, as, &no_iss, token, sizeof token, &n, &err),
               FAPI_NULL_ARGUMENT);

    /* a certificate-bound token (cdr, 300 s) at the resource server */
    fapi_access_token_params mtls = longer;
    mtls.lifetime = 300;
    mtls.consent_id = "arrangement-7";
    mtls.consent_id_len = strlen(mtls.consent_id);
    CHECK_OK(fapi_access_token_issue(cdr, as, &mtls, token, sizeof token, &tn, &err));
    fapi_resource_request mr = {token, tn, S("GET"), S(RESOURCE_URI), NULL, 0, cert, sizeof cert,
                                NOW, NULL, NULL, 0};
    CHECK_OK(fapi_access_token_verify(cdr, as_pub, &ex, &mr, NULL, buf, sizeof buf, &n, &err));
    buf[n] = '\0';
    CHECK(strstr(buf, "\"cdr_arrangement_id\":\"arrangement-7\"") != NULL);
    CHECK(strstr(buf, "x5t#S256") != NULL);
    const uint8_t other_cert[] = {0x30, 0x03, 0x02, 0x01, 0x02};
    mr.client_cert_der = other_cert;
    CHECK_REFUSED(fapi_access_token_verify(cdr, as_pub, &ex, &mr, NULL, buf, sizeof buf, &n, &err),
                  FAPI_CERTIFICATE_MISMATCH, "invalid_token");
    mr.client_cert_der = NULL;
    CHECK_CODE(fapi_access_token_verify(cdr, as_pub, &ex, &mr, NULL, buf, sizeof buf, &n, &err),
               FAPI_CERTIFICATE_MISMATCH);
    mr.now = NOW + 301;
    mr.client_cert_der = cert;
    CHECK_CODE(fapi_access_token_verify(cdr, as_pub, &ex, &mr, NULL, buf, sizeof buf, &n, &err),
               FAPI_EXPIRED);

    fapi_verified_dpop_proof_free(vp);
    fapi_public_key_free(as_pub);
    fapi_key_free(as);
    fapi_key_free(client);
    fapi_key_free(other);
    fapi_replay_cache_free(cache);
}

/* F2-CLIENT-AUTH through the C API: private_key_jwt made and checked. */
static void test_client_assertions(void) {
    const fapi_profile *fapi2 = profile("fapi2");
    fapi_replay_cache *cache = NULL;
    CHECK_OK(fapi_replay_cache_new(64, &cache, &err));
    fapi_key *client = NULL, *stranger = NULL;
    CHECK_OK(fapi_key_generate(FAPI_ALG_ES256, &client, &err));
    CHECK_OK(fapi_key_generate(FAPI_ALG_ES256, &stranger, &err));
    char jwks[2048];
    size_t jwks_n = 0;
    const fapi_key *keys[] = {client};
    CHECK_OK(fapi_jwks_write(keys, 1, jwks, sizeof jwks, &jwks_n, &err));
    char a[4096];
    size_t an = 0;
    CHECK_OK(fapi_client_assertion_create(client, S("fintech-1"), S(AS_ISSUER), NOW, 60, a,
                                          sizeof a, &an, &err));
    fapi_str endpoints[] = {{S(TOKEN_URI)}};
    CHECK_OK(fapi_client_assertion_verify(fapi2, a, an, S("fintech-1"), jwks, jwks_n,
                                          S(AS_ISSUER), endpoints, 1, cache, NOW, &err));
    CHECK_REFUSED(fapi_client_assertion_verify(fapi2, a, an, S("fintech-1"), jwks, jwks_n,
                                               S(AS_ISSUER), endpoints, 1, cache, NOW, &err),
                  FAPI_REPLAY, "invalid_client");
    /* FAPI 2.0 final 5.3.2.1: the token endpoint URL as aud is refused under
       fapi2; RFC 7523 section 3: accepted under cdr */
    CHECK_OK(fapi_client_assertion_create(client, S("fintech-1"), S(TOKEN_URI), NOW, 30, a,
                                          sizeof a, &an, &err));
    CHECK_REFUSED(fapi_client_assertion_verify(fapi2, a, an, S("fintech-1"), jwks, jwks_n,
                                               S(AS_ISSUER), endpoints, 1, cache, NOW, &err),
                  FAPI_WRONG_AUDIENCE, "invalid_client");
    CHECK_OK(fapi_client_assertion_verify(profile("cdr"), a, an, S("fintech-1"), jwks, jwks_n,
                                          S(AS_ISSUER), endpoints, 1, cache, NOW, &err));
    /* another AS */
    CHECK_OK(fapi_client_assertion_create(client, S("fintech-1"), S("https://other-as.example"),
                                          NOW, 30, a, sizeof a, &an, &err));
    CHECK_REFUSED(fapi_client_assertion_verify(fapi2, a, an, S("fintech-1"), jwks, jwks_n,
                                               S(AS_ISSUER), NULL, 0, cache, NOW, &err),
                  FAPI_WRONG_AUDIENCE, "invalid_client");
    CHECK(strstr(msg, "expected aud \"" AS_ISSUER "\"") != NULL &&
          strstr(msg, "https://other-as.example") != NULL);
    /* another client id; another key; expired */
    CHECK_OK(fapi_client_assertion_create(client, S("fintech-1"), S(AS_ISSUER), NOW, 30, a,
                                          sizeof a, &an, &err));
    CHECK_CODE(fapi_client_assertion_verify(fapi2, a, an, S("fintech-2"), jwks, jwks_n,
                                            S(AS_ISSUER), NULL, 0, cache, NOW, &err),
               FAPI_CLIENT_MISMATCH);
    CHECK(strstr(msg, "expected iss and sub \"fintech-2\", got iss \"fintech-1\"") != NULL);
    CHECK_CODE(fapi_client_assertion_verify(fapi2, a, an, S("fintech-1"), jwks, jwks_n,
                                            S(AS_ISSUER), NULL, 0, cache, NOW + 31, &err),
               FAPI_EXPIRED);
    CHECK_OK(fapi_client_assertion_create(stranger, S("fintech-1"), S(AS_ISSUER), NOW, 30, a,
                                          sizeof a, &an, &err));
    CHECK_CODE(fapi_client_assertion_verify(fapi2, a, an, S("fintech-1"), jwks, jwks_n,
                                            S(AS_ISSUER), NULL, 0, cache, NOW, &err),
               FAPI_KEY_NOT_FOUND);
    CHECK_CODE(fapi_client_assertion_verify(fapi2, a, an, S("fintech-1"), S("{\"keys\":3}"),
                                            S(AS_ISSUER), NULL, 0, cache, NOW, &err),
               FAPI_JSON);
    CHECK_CODE(fapi_client_assertion_verify(fapi2, a, an, S("fintech-1"), jwks, jwks_n,
                                            S(AS_ISSUER), NULL, 3, cache, NOW, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_client_assertion_verify(fapi2, a, an, S("fintech-1"), jwks, jwks_n,
                                            S(AS_ISSUER), NULL, 0, NULL, NOW, &err),
               FAPI_NULL_ARGUMENT);
    /* create refusals */
    CHECK_CODE(fapi_client_assertion_create(client, S("fintech-1"), S(AS_ISSUER), NOW, 0, a,
                                            sizeof a, &an, &err),
               FAPI_LIFETIME_TOO_SHORT);
    CHECK_CODE(fapi_client_assertion_create(client, S("fintech-1"), S(AS_ISSUER), NOW, 61, a,
                                            sizeof a, &an, &err),
               FAPI_LIFETIME_TOO_LONG);
    CHECK_CODE(fapi_client_assertion_create(client, S("fintech-1"), S(AS_ISSUER), NOW, 60, a, 9,
                                            &n, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(n > 9);
    CHECK_CODE(fapi_client_assertion_create(NULL, S("fintech-1"), S(AS_ISSUER), NOW, 60, a,
                                            sizeof a, &an, &err),
               FAPI_NULL_ARGUMENT);
    fapi_key_free(client);
    fapi_key_free(stranger);
    fapi_replay_cache_free(cache);
}

/* F2-METADATA through the C API: the audit of a metadata document. */
static void test_audit(void) {
    const fapi_profile *fapi2 = profile("fapi2");
    const char *md =
        "{\"issuer\":\"" AS_ISSUER "\",\"authorization_endpoint\":\"" AS_ISSUER "/authorize\","
        "\"token_endpoint\":\"" TOKEN_URI "\",\"jwks_uri\":\"" AS_ISSUER "/jwks\","
        "\"pushed_authorization_request_endpoint\":\"" AS_ISSUER "/par\","
        "\"require_pushed_authorization_requests\":true,"
        "\"token_endpoint_auth_methods_supported\":[\"private_key_jwt\"],"
        "\"token_endpoint_auth_signing_alg_values_supported\":[\"ES256\"],"
        "\"dpop_signing_alg_values_supported\":[\"ES256\"],"
        "\"code_challenge_methods_supported\":[\"S256\"],"
        "\"response_types_supported\":[\"code\"],"
        "\"grant_types_supported\":[\"authorization_code\",\"refresh_token\"],"
        "\"authorization_response_iss_parameter_supported\":true}";
    fapi_server_config cfg = {md,   strlen(md), 300,  60,   90,          0,
                              false, true,      true, false, NULL,       0,
                              FAPI_TLS_1_2,     NULL, 0};
    fapi_result r = fapi_audit(fapi2, &cfg, buf, sizeof buf, &n, &err);
    CHECK(n > 0);
    buf[n] = '\0';
    CHECK(strncmp(buf, "{\"", 2) == 0 && strstr(buf, "\"F2-PAR\"") != NULL);
    if (r != FAPI_OK) fprintf(stderr, "audit: %s\n", buf);
    CHECK_OK(r);
    /* a password grant and plain PKCE fail */
    const char *bad =
        "{\"issuer\":\"" AS_ISSUER "\",\"token_endpoint\":\"" TOKEN_URI "\","
        "\"grant_types_supported\":[\"password\"],\"code_challenge_methods_supported\":[\"plain\"]}";
    cfg.metadata = bad;
    cfg.metadata_len = strlen(bad);
    CHECK_REFUSED(fapi_audit(fapi2, &cfg, buf, sizeof buf, &n, &err), FAPI_PROFILE_VIOLATION,
                  "server_error");
    buf[n] = '\0';
    CHECK(strstr(buf, "\"passed\":false") != NULL && strstr(buf, "\"fail\"") != NULL);
    CHECK_CODE(fapi_audit(fapi2, &cfg, buf, 10, &n, &err), FAPI_INSUFFICIENT_SIZE);
    CHECK(n > 10);
    cfg.metadata = "{\"issuer\":\"a\",\"issuer\":\"b\"}";
    cfg.metadata_len = strlen(cfg.metadata);
    CHECK_CODE(fapi_audit(fapi2, &cfg, buf, sizeof buf, &n, &err), FAPI_DUPLICATE_MEMBER);
    cfg.metadata = "{";
    cfg.metadata_len = 1;
    CHECK_CODE(fapi_audit(fapi2, &cfg, buf, sizeof buf, &n, &err), FAPI_JSON);
    cfg.metadata = md;
    cfg.metadata_len = strlen(md);
    cfg.tls_min_version = 11;
    CHECK_CODE(fapi_audit(fapi2, &cfg, buf, sizeof buf, &n, &err), FAPI_INVALID_ARGUMENT);
    cfg.tls_min_version = FAPI_TLS_1_3;
    cfg.tls_suites_len = 2;
    CHECK_CODE(fapi_audit(fapi2, &cfg, buf, sizeof buf, &n, &err), FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_audit(fapi2, NULL, buf, sizeof buf, &n, &err), FAPI_NULL_ARGUMENT);
}

/* An issuer's JWK Set at the resource server: keys chosen by kid, rotation,
 * the kid asked for against the set's in the message, and bad input. */
static void test_key_sets(void) {
    const fapi_profile *fapi2 = profile("fapi2");
    fapi_key *old = NULL, *cur = NULL, *ed = NULL, *stranger = NULL, *client = NULL;
    CHECK_OK(fapi_key_generate(FAPI_ALG_ES256, &old, &err));
    CHECK_OK(fapi_key_generate(FAPI_ALG_ES256, &cur, &err));
    CHECK_OK(fapi_key_generate(FAPI_ALG_EDDSA, &ed, &err));
    CHECK_OK(fapi_key_generate(FAPI_ALG_ES256, &stranger, &err));
    CHECK_OK(fapi_key_generate(FAPI_ALG_ES256, &client, &err));
    const fapi_key *keys[] = {cur, old, ed};
    char jwks[8192];
    size_t jwks_len = 0;
    CHECK_OK(fapi_jwks_write(keys, 3, jwks, sizeof jwks, &jwks_len, &err));
    fapi_key_set *set = (fapi_key_set *)1;
    CHECK_OK(fapi_key_set_from_jwks(jwks, jwks_len, &set, &err));
    size_t count = 0;
    CHECK_OK(fapi_key_set_len(set, &count, &err));
    CHECK(count == 3);

    /* a JWT of each key verifies against the set */
    char claims[] = "{\"iss\":\"" AS_ISSUER "\",\"aud\":\"" RS_AUDIENCE
                    "\",\"exp\":1900000100,\"iat\":1900000000,\"jti\":\"j1\"}";
    fapi_alg algs[] = {FAPI_ALG_ES256, FAPI_ALG_EDDSA};
    fapi_jwt_expectations ex = {S("JWT"), S(AS_ISSUER), S(RS_AUDIENCE), NOW, 10};
    char jwt[2048];
    size_t jn = 0;
    const fapi_key *signers[] = {cur, old, ed};
    for (size_t i = 0; i < 3; i++) {
        CHECK_OK(fapi_jws_sign(signers[i], S("JWT"), (const uint8_t *)claims, strlen(claims), jwt,
                               sizeof jwt, &jn, &err));
        CHECK_OK(fapi_key_set_jwt_verify(set, jwt, jn, algs, 2, &ex, buf, sizeof buf, &n, &err));
        CHECK(n == strlen(claims) && memcmp(buf, claims, n) == 0);
    }
    /* a key outside the set: key_not_found, naming the kid asked for and the set's */
    CHECK_OK(fapi_jws_sign(stranger, S("JWT"), (const uint8_t *)claims, strlen(claims), jwt,
                           sizeof jwt, &jn, &err));
    CHECK_REFUSED(fapi_key_set_jwt_verify(set, jwt, jn, algs, 2, &ex, buf, sizeof buf, &n, &err),
                  FAPI_KEY_NOT_FOUND, "invalid_token");
    char kid[128];
    size_t kn = 0;
    CHECK_OK(fapi_key_id(stranger, kid, sizeof kid - 1, &kn, &err));
    kid[kn] = '\0';
    CHECK_REFUSED(fapi_key_set_jwt_verify(set, jwt, jn, algs, 2, &ex, buf, sizeof buf, &n, &err),
                  FAPI_KEY_NOT_FOUND, "invalid_token");
    CHECK(strstr(msg, kid) != NULL);
    CHECK_OK(fapi_key_id(cur, kid, sizeof kid - 1, &kn, &err));
    kid[kn] = '\0';
    CHECK_REFUSED(fapi_key_set_jwt_verify(set, jwt, jn, algs, 2, &ex, buf, sizeof buf, &n, &err),
                  FAPI_KEY_NOT_FOUND, "invalid_token");
    CHECK(strstr(msg, kid) != NULL);
    /* the set's key, the token's other checks: a wrong audience */
    CHECK_OK(fapi_jws_sign(cur, S("JWT"), (const uint8_t *)claims, strlen(claims), jwt,
                           sizeof jwt, &jn, &err));
    ex.audience = "https://other.example";
    ex.audience_len = strlen(ex.audience);
    CHECK_CODE(fapi_key_set_jwt_verify(set, jwt, jn, algs, 2, &ex, buf, sizeof buf, &n, &err),
               FAPI_WRONG_AUDIENCE);
    ex.audience = RS_AUDIENCE;
    ex.audience_len = strlen(RS_AUDIENCE);
    /* not a JWS; the set's algorithm list */
    CHECK_CODE(fapi_key_set_jwt_verify(set, S("garbage"), algs, 2, &ex, buf, sizeof buf, &n, &err),
               FAPI_MALFORMED);
    CHECK_CODE(fapi_key_set_jwt_verify(set, S("\xff.\xff.\xff"), algs, 2, &ex, buf, sizeof buf,
                                       &n, &err),
               FAPI_MALFORMED);
    CHECK_CODE(fapi_key_set_jwt_verify(set, jwt, jn, algs + 1, 1, &ex, buf, sizeof buf, &n, &err),
               FAPI_ALG_NOT_ALLOWED);
    CHECK_CODE(fapi_key_set_jwt_verify(NULL, jwt, jn, algs, 2, &ex, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_key_set_jwt_verify(set, jwt, jn, algs, 2, NULL, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);

    /* an access token, DPoP-bound, signed by the older key of the set */
    fapi_replay_cache *cache = NULL;
    CHECK_OK(fapi_replay_cache_new(64, &cache, &err));
    fapi_dpop_proof_params pp = {S("POST"), S(TOKEN_URI), NOW, NULL, 0, NULL, 0};
    char proof[4096], jkt[64], token[4096];
    size_t pn = 0, jkn = 0, tn = 0;
    CHECK_OK(fapi_dpop_proof_create(client, &pp, proof, sizeof proof, &pn, &err));
    fapi_dpop_request treq = {S("POST"), S(TOKEN_URI), NULL, 0, NULL, NULL, 0};
    fapi_verified_dpop_proof *vp = NULL;
    CHECK_OK(fapi_dpop_proof_verify(fapi2, proof, pn, &treq, cache, NOW, jkt, sizeof jkt, &jkn,
                                    &vp, &err));
    fapi_access_token_params tp = {S(AS_ISSUER),  S("alice"), S(RS_AUDIENCE), S("fintech-1"),
                                   S("accounts"), NOW,        300,            vp,
                                   NULL,          0,          NULL,           0};
    CHECK_OK(fapi_access_token_issue(fapi2, old, &tp, token, sizeof token, &tn, &err));
    fapi_dpop_proof_params rp = {S("GET"), S(RESOURCE_URI), NOW, token, tn, NULL, 0};
    CHECK_OK(fapi_dpop_proof_create(client, &rp, proof, sizeof proof, &pn, &err));
    fapi_token_expectations tex = {S(AS_ISSUER), S(RS_AUDIENCE), 10};
    fapi_resource_request rr = {token, tn, S("GET"), S(RESOURCE_URI), proof, pn, NULL, 0, NOW,
                                NULL, NULL, 0};
    CHECK_OK(fapi_key_set_access_token_verify(fapi2, set, &tex, &rr, cache, buf, sizeof buf, &n,
                                              &err));
    buf[n] = '\0';
    CHECK(strstr(buf, "\"sub\":\"alice\"") != NULL);
    /* a token of a key outside the set is refused before the proof is spent */
    fapi_access_token_params tp2 = tp;
    CHECK_OK(fapi_access_token_issue(fapi2, stranger, &tp2, token, sizeof token, &tn, &err));
    CHECK_OK(fapi_dpop_proof_create(client, &rp, proof, sizeof proof, &pn, &err));
    rr.access_token_len = tn;
    rr.dpop_proof_len = pn;
    CHECK_REFUSED(fapi_key_set_access_token_verify(fapi2, set, &tex, &rr, cache, buf, sizeof buf,
                                                   &n, &err),
                  FAPI_KEY_NOT_FOUND, "invalid_token");
    CHECK_CODE(fapi_key_set_access_token_verify(fapi2, NULL, &tex, &rr, cache, buf, sizeof buf,
                                                &n, &err),
               FAPI_NULL_ARGUMENT);
    fapi_verified_dpop_proof_free(vp);
    fapi_replay_cache_free(cache);

    /* bad sets */
    fapi_key_set *bad = (fapi_key_set *)1;
    CHECK_REFUSED(fapi_key_set_from_jwks(S("{"), &bad, &err), FAPI_JSON, "server_error");
    CHECK(bad == NULL);
    CHECK_CODE(fapi_key_set_from_jwks(S("[]"), &bad, &err), FAPI_JSON);
    CHECK_CODE(fapi_key_set_from_jwks(S("{\"keys\":[]}"), &bad, &err), FAPI_KEY_NOT_FOUND);
    /* keys fapi does not use are skipped: none left */
    CHECK_CODE(fapi_key_set_from_jwks(S("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":"
                                        "\"AA\",\"y\":\"AA\"}]}"),
                                      &bad, &err),
               FAPI_KEY_NOT_FOUND);
    /* a secret key is a private member */
    CHECK_CODE(fapi_key_set_from_jwks(S("{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\"}]}"), &bad,
                                      &err),
               FAPI_PRIVATE_KEY_MEMBER);
    CHECK_CODE(fapi_key_set_from_jwks(S("{\"keys\":[],\"keys\":[]}"), &bad, &err),
               FAPI_DUPLICATE_MEMBER);
    CHECK_CODE(fapi_key_set_from_jwks(S("{\"keys\":[" RFC8037_PRIVATE_JWK "]}"), &bad, &err),
               FAPI_PRIVATE_KEY_MEMBER);
    CHECK_CODE(fapi_key_set_from_jwks(S("-----BEGIN PUBLIC KEY-----"), &bad, &err), FAPI_JSON);
    CHECK_CODE(fapi_key_set_from_jwks(S("\xff\xfe"), &bad, &err), FAPI_JSON);
    CHECK_CODE(fapi_key_set_from_jwks(NULL, 3, &bad, &err), FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_key_set_from_jwks(jwks, jwks_len, NULL, &err), FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_key_set_len(NULL, &count, &err), FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_key_set_len(set, NULL, &err), FAPI_NULL_ARGUMENT);
    CHECK(bad == NULL);
    fapi_key_set_free(set);
    fapi_key_set_free(NULL);
    fapi_key_free(old);
    fapi_key_free(cur);
    fapi_key_free(ed);
    fapi_key_free(stranger);
    fapi_key_free(client);
}

int main(void) {
    test_result_codes();
    test_profiles();
    test_pkce();
    test_thumbprints();
    test_keys();
    test_jwks();
    test_jws_and_jwt();
    test_replay_cache();
    test_dpop();
    test_access_tokens();
    test_key_sets();
    test_client_assertions();
    test_audit();
    return finish("test_api");
}
