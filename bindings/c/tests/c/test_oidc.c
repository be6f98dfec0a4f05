/* The fapi C API for OpenID Connect and message encryption: ID tokens
 * (OpenID Connect Core §3.1.3.7), JARM responses (FAPI 2.0 Message Signing
 * §5.4) and compact JWE (RFC 7516, RFC 7518: RSA-OAEP, the profiles'
 * allow-lists, the one decryption error). Round trips, each refusal by
 * its rule, NULL arguments and buffers that are too small. */
#include "check.h"
#include "vectors.h"

#define NOW 1900000000u
#define AS_ISSUER "https://as.bank.example"
#define CLIENT_ID "fintech-1"
#define NONCE "n-0S6_WzA2Mj"
#define ACCESS_TOKEN "at-1234567890"
#define CODE "c-Qcb0Orv1zh30vL1MPRsbm"
#define STATE "s-af0ifjsldkj"

static char buf[16384];
static size_t n;

/* Sets a (pointer, length) pair of a struct from a literal. */
#define SET(s, field, lit) ((s).field = (lit), (s).field##_len = sizeof(lit) - 1)

static const fapi_profile *profile(const char *name) {
    const fapi_profile *p = NULL;
    CHECK_OK(fapi_profile_get(name, strlen(name), &p, &err));
    CHECK(p != NULL);
    return p;
}

static fapi_key *pem_key(const char *pem) {
    fapi_key *k = NULL;
    CHECK_OK(fapi_key_from_pkcs8((const uint8_t *)pem, strlen(pem), &k, &err));
    return k;
}

static fapi_public_key *public_of(const fapi_key *k) {
    fapi_public_key *p = NULL;
    CHECK_OK(fapi_key_public(k, &p, &err));
    return p;
}

static int contains(const char *out, size_t len, const char *needle) {
    static char text[16384];
    if (len >= sizeof text) return 0;
    memcpy(text, out, len);
    text[len] = '\0';
    return strstr(text, needle) != NULL;
}

static fapi_id_token_params id_params(void) {
    fapi_id_token_params p = {0};
    SET(p, issuer, AS_ISSUER);
    SET(p, subject, "alice");
    SET(p, client_id, CLIENT_ID);
    p.issued_at = NOW;
    p.lifetime = 300;
    p.auth_time = NOW - 30;
    SET(p, nonce, NONCE);
    SET(p, access_token, ACCESS_TOKEN);
    return p;
}

static fapi_id_token_expectations id_expect(void) {
    fapi_id_token_expectations e = {0};
    SET(e, issuer, AS_ISSUER);
    SET(e, client_id, CLIENT_ID);
    SET(e, nonce, NONCE);
    SET(e, access_token, ACCESS_TOKEN);
    e.leeway = 10;
    e.now = NOW + 5;
    return e;
}

/* ID tokens: issue and verify, every rule of the client's check. */
static void test_id_tokens(void) {
    const fapi_profile *fapi2 = profile("fapi2"), *obie = profile("obie");
    fapi_key *as = pem_key(P256_PEM), *rsa = pem_key(RSA_PKCS8_PEM), *other = NULL;
    CHECK_OK(fapi_key_generate(FAPI_ALG_ES256, &other, &err));
    fapi_public_key *as_pub = public_of(as), *rsa_pub = public_of(rsa),
                    *other_pub = public_of(other);

    /* round trip: nonce, at_hash, auth_time */
    fapi_id_token_params p = id_params();
    char tok[4096];
    size_t tn = 0;
    CHECK_OK(fapi_id_token_issue(fapi2, as, &p, tok, sizeof tok, &tn, &err));
    CHECK(tn > 0 && msg[0] == '\0');
    fapi_id_token_expectations e = id_expect();
    CHECK_OK(fapi_id_token_verify(fapi2, as_pub, &e, tok, tn, buf, sizeof buf, &n, &err));
    CHECK(contains(buf, n, "\"sub\":\"alice\""));
    CHECK(contains(buf, n, "\"aud\":\"" CLIENT_ID "\""));
    CHECK(contains(buf, n, "\"iss\":\"" AS_ISSUER "\""));
    CHECK(contains(buf, n, "\"auth_time\":1899999970"));
    CHECK(contains(buf, n, "\"exp\":1900000300"));

    /* wrong nonce refused; the nonce required when the client sent one */
    SET(e, nonce, "n-another");
    CHECK_REFUSED(fapi_id_token_verify(fapi2, as_pub, &e, tok, tn, buf, sizeof buf, &n, &err),
                  FAPI_NONCE_MISMATCH, "invalid_grant");
    e = id_expect();
    fapi_id_token_params no_nonce = id_params();
    no_nonce.nonce = NULL;
    no_nonce.nonce_len = 0;
    char tok2[4096];
    size_t tn2 = 0;
    CHECK_OK(fapi_id_token_issue(fapi2, as, &no_nonce, tok2, sizeof tok2, &tn2, &err));
    CHECK_CODE(fapi_id_token_verify(fapi2, as_pub, &e, tok2, tn2, buf, sizeof buf, &n, &err),
               FAPI_MISSING_CLAIM);

    /* at_hash of another access token; c_hash required when a code is given */
    SET(e, access_token, "at-another");
    CHECK_CODE(fapi_id_token_verify(fapi2, as_pub, &e, tok, tn, buf, sizeof buf, &n, &err),
               FAPI_HASH_MISMATCH);
    e = id_expect();
    SET(e, code, CODE);
    CHECK_CODE(fapi_id_token_verify(fapi2, as_pub, &e, tok, tn, buf, sizeof buf, &n, &err),
               FAPI_MISSING_CLAIM);
    /* c_hash and s_hash: an ID token from the authorization endpoint */
    fapi_id_token_params hybrid = id_params();
    SET(hybrid, code, CODE);
    SET(hybrid, state, STATE);
    CHECK_OK(fapi_id_token_issue(fapi2, as, &hybrid, tok2, sizeof tok2, &tn2, &err));
    SET(e, state, STATE);
    CHECK_OK(fapi_id_token_verify(fapi2, as_pub, &e, tok2, tn2, buf, sizeof buf, &n, &err));
    SET(e, state, "s-another");
    CHECK_CODE(fapi_id_token_verify(fapi2, as_pub, &e, tok2, tn2, buf, sizeof buf, &n, &err),
               FAPI_HASH_MISMATCH);
    e = id_expect();

    /* iss, aud, the key, time */
    SET(e, issuer, "https://evil.example");
    CHECK_CODE(fapi_id_token_verify(fapi2, as_pub, &e, tok, tn, buf, sizeof buf, &n, &err),
               FAPI_WRONG_ISSUER);
    CHECK(strstr(msg, "expected iss \"https://evil.example\"") != NULL);
    e = id_expect();
    SET(e, client_id, "fintech-2");
    CHECK_CODE(fapi_id_token_verify(fapi2, as_pub, &e, tok, tn, buf, sizeof buf, &n, &err),
               FAPI_WRONG_AUDIENCE);
    CHECK(strstr(msg, "expected aud \"fintech-2\"") != NULL);
    e = id_expect();
    CHECK_CODE(fapi_id_token_verify(fapi2, other_pub, &e, tok, tn, buf, sizeof buf, &n, &err),
               FAPI_BAD_SIGNATURE);
    e.now = NOW + 400;
    CHECK_CODE(fapi_id_token_verify(fapi2, as_pub, &e, tok, tn, buf, sizeof buf, &n, &err),
               FAPI_EXPIRED);
    e.now = NOW + 120;
    e.max_age = 60;
    CHECK_CODE(fapi_id_token_verify(fapi2, as_pub, &e, tok, tn, buf, sizeof buf, &n, &err),
               FAPI_TOO_OLD);
    e = id_expect();
    e.max_age = 86401;
    CHECK_CODE(fapi_id_token_verify(fapi2, as_pub, &e, tok, tn, buf, sizeof buf, &n, &err),
               FAPI_PROFILE_VIOLATION);
    e = id_expect();

    /* the client's registered algorithm: PS256 only refuses an ES256 token */
    fapi_alg ps256[] = {FAPI_ALG_PS256}, bogus[] = {9};
    e.algs = ps256;
    e.n_algs = 1;
    CHECK_CODE(fapi_id_token_verify(fapi2, as_pub, &e, tok, tn, buf, sizeof buf, &n, &err),
               FAPI_ALG_NOT_ALLOWED);
    e.algs = bogus;
    CHECK_CODE(fapi_id_token_verify(fapi2, as_pub, &e, tok, tn, buf, sizeof buf, &n, &err),
               FAPI_INVALID_ARGUMENT);
    e = id_expect();

    /* OB-ALG: ES256 is not an algorithm of obie; OB-INTENT: the intent id */
    CHECK_REFUSED(fapi_id_token_issue(obie, as, &p, tok2, sizeof tok2, &tn2, &err),
                  FAPI_ALG_NOT_ALLOWED, "server_error");
    CHECK_CODE(fapi_id_token_issue(obie, rsa, &p, tok2, sizeof tok2, &tn2, &err),
               FAPI_MISSING_CLAIM);
    fapi_id_token_params ob = id_params();
    SET(ob, intent_id, "urn-alphabank-intent-58923");
    CHECK_OK(fapi_id_token_issue(obie, rsa, &ob, tok2, sizeof tok2, &tn2, &err));
    CHECK_OK(fapi_id_token_verify(obie, rsa_pub, &e, tok2, tn2, buf, sizeof buf, &n, &err));
    CHECK(contains(buf, n, "\"openbanking_intent_id\":\"urn-alphabank-intent-58923\""));
    /* the ES256 token of fapi2 is refused under obie (OB-ALG) */
    CHECK_CODE(fapi_id_token_verify(obie, as_pub, &e, tok, tn, buf, sizeof buf, &n, &err),
               FAPI_ALG_NOT_ALLOWED);

    /* lifetimes */
    fapi_id_token_params bad = id_params();
    bad.lifetime = 0;
    CHECK_CODE(fapi_id_token_issue(fapi2, as, &bad, tok2, sizeof tok2, &tn2, &err),
               FAPI_LIFETIME_TOO_SHORT);
    bad.lifetime = 86401;
    CHECK_CODE(fapi_id_token_issue(fapi2, as, &bad, tok2, sizeof tok2, &tn2, &err),
               FAPI_LIFETIME_TOO_LONG);

    /* buffers too small: the size needed in the out-length */
    CHECK_CODE(fapi_id_token_issue(fapi2, as, &p, tok2, 10, &tn2, &err), FAPI_INSUFFICIENT_SIZE);
    CHECK(tn2 == tn);
    CHECK_OK(fapi_id_token_verify(fapi2, as_pub, &e, tok, tn, buf, sizeof buf, &n, &err));
    size_t claims_len = n;
    CHECK_CODE(fapi_id_token_verify(fapi2, as_pub, &e, tok, tn, buf, 8, &n, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(n == claims_len);

    /* NULL arguments */
    CHECK_CODE(fapi_id_token_issue(fapi2, as, NULL, tok2, sizeof tok2, &tn2, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_id_token_issue(NULL, as, &p, tok2, sizeof tok2, &tn2, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_id_token_issue(fapi2, as, &p, tok2, sizeof tok2, NULL, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_id_token_verify(fapi2, NULL, &e, tok, tn, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_id_token_verify(fapi2, as_pub, NULL, tok, tn, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_id_token_verify(fapi2, as_pub, &e, NULL, tn, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);

    fapi_public_key_free(as_pub);
    fapi_public_key_free(rsa_pub);
    fapi_public_key_free(other_pub);
    fapi_key_free(as);
    fapi_key_free(rsa);
    fapi_key_free(other);
}

static fapi_jarm_expectations jarm_expect(void) {
    fapi_jarm_expectations e = {0};
    SET(e, issuer, AS_ISSUER);
    SET(e, client_id, CLIENT_ID);
    SET(e, state, STATE);
    e.leeway = 10;
    e.now = NOW + 5;
    return e;
}

/* JARM: the signed authorization response, and the plain-response refusal. */
static void test_jarm(void) {
    const fapi_profile *ms = profile("fapi2-ms"), *obie = profile("obie");
    fapi_key *as = pem_key(P256_PEM), *other = NULL;
    CHECK_OK(fapi_key_generate(FAPI_ALG_ES256, &other, &err));
    fapi_public_key *as_pub = public_of(as), *other_pub = public_of(other);

    fapi_jarm_response r = {0};
    SET(r, code, CODE);
    SET(r, state, STATE);
    char jwt[2048], query[4096];
    size_t jn = 0;
    CHECK_OK(fapi_jarm_issue(ms, as, S(AS_ISSUER), S(CLIENT_ID), &r, NOW, 300, jwt, sizeof jwt,
                             &jn, &err));
    int qn = snprintf(query, sizeof query, "response=%.*s", (int)jn, jwt);
    CHECK(qn > 0 && (size_t)qn < sizeof query);
    fapi_jarm_expectations e = jarm_expect();
    CHECK_OK(fapi_jarm_verify(ms, as_pub, &e, query, (size_t)qn, buf, sizeof buf, &n, &err));
    CHECK(n == strlen("{\"code\":\"" CODE "\",\"state\":\"" STATE "\"}") &&
          memcmp(buf, "{\"code\":\"" CODE "\",\"state\":\"" STATE "\"}", n) == 0);

    /* the plain response where a JWT was asked for; one injected beside it */
    CHECK_REFUSED(fapi_jarm_verify(ms, as_pub, &e, S("code=" CODE "&state=" STATE), buf,
                                   sizeof buf, &n, &err),
                  FAPI_PLAIN_RESPONSE_REFUSED, "invalid_request");
    char injected[4096];
    int in = snprintf(injected, sizeof injected, "%s&code=c-attacker", query);
    CHECK_CODE(fapi_jarm_verify(ms, as_pub, &e, injected, (size_t)in, buf, sizeof buf, &n, &err),
               FAPI_PLAIN_RESPONSE_REFUSED);
    CHECK_CODE(fapi_jarm_verify(ms, as_pub, &e, S("error=access_denied"), buf, sizeof buf, &n,
                                &err),
               FAPI_PLAIN_RESPONSE_REFUSED);
    in = snprintf(injected, sizeof injected, "%s&%s", query, query);
    CHECK_CODE(fapi_jarm_verify(ms, as_pub, &e, injected, (size_t)in, buf, sizeof buf, &n, &err),
               FAPI_MALFORMED);

    /* state, issuer (RFC 9207), audience, the key, time */
    SET(e, state, "s-another");
    CHECK_CODE(fapi_jarm_verify(ms, as_pub, &e, query, (size_t)qn, buf, sizeof buf, &n, &err),
               FAPI_INVALID_PARAMETER);
    e = jarm_expect();
    SET(e, issuer, "https://evil.example");
    CHECK_CODE(fapi_jarm_verify(ms, as_pub, &e, query, (size_t)qn, buf, sizeof buf, &n, &err),
               FAPI_WRONG_ISSUER);
    e = jarm_expect();
    SET(e, client_id, "fintech-2");
    CHECK_CODE(fapi_jarm_verify(ms, as_pub, &e, query, (size_t)qn, buf, sizeof buf, &n, &err),
               FAPI_WRONG_AUDIENCE);
    e = jarm_expect();
    CHECK_CODE(fapi_jarm_verify(ms, other_pub, &e, query, (size_t)qn, buf, sizeof buf, &n, &err),
               FAPI_BAD_SIGNATURE);
    e.now = NOW + 400;
    CHECK_CODE(fapi_jarm_verify(ms, as_pub, &e, query, (size_t)qn, buf, sizeof buf, &n, &err),
               FAPI_EXPIRED);
    e = jarm_expect();
    fapi_alg ps256[] = {FAPI_ALG_PS256};
    e.algs = ps256;
    e.n_algs = 1;
    CHECK_CODE(fapi_jarm_verify(ms, as_pub, &e, query, (size_t)qn, buf, sizeof buf, &n, &err),
               FAPI_ALG_NOT_ALLOWED);
    e = jarm_expect();

    /* an error response, signed */
    fapi_jarm_response er = {0};
    SET(er, error, "access_denied");
    SET(er, error_description, "the user said no");
    SET(er, state, STATE);
    CHECK_OK(fapi_jarm_issue(ms, as, S(AS_ISSUER), S(CLIENT_ID), &er, NOW, 300, jwt, sizeof jwt,
                             &jn, &err));
    qn = snprintf(query, sizeof query, "response=%.*s", (int)jn, jwt);
    CHECK_OK(fapi_jarm_verify(ms, as_pub, &e, query, (size_t)qn, buf, sizeof buf, &n, &err));
    CHECK(contains(buf, n, "\"error\":\"access_denied\""));
    CHECK(contains(buf, n, "\"error_description\":\"the user said no\""));

    /* issue refusals: 10 minutes at most, exactly one of code and error, the profile's alg */
    CHECK_CODE(fapi_jarm_issue(ms, as, S(AS_ISSUER), S(CLIENT_ID), &r, NOW, 601, jwt, sizeof jwt,
                               &jn, &err),
               FAPI_LIFETIME_TOO_LONG);
    CHECK_CODE(fapi_jarm_issue(ms, as, S(AS_ISSUER), S(CLIENT_ID), &r, NOW, 0, jwt, sizeof jwt,
                               &jn, &err),
               FAPI_LIFETIME_TOO_SHORT);
    fapi_jarm_response both = r;
    SET(both, error, "access_denied");
    CHECK_CODE(fapi_jarm_issue(ms, as, S(AS_ISSUER), S(CLIENT_ID), &both, NOW, 300, jwt,
                               sizeof jwt, &jn, &err),
               FAPI_INVALID_PARAMETER);
    fapi_jarm_response neither = {0};
    CHECK_CODE(fapi_jarm_issue(ms, as, S(AS_ISSUER), S(CLIENT_ID), &neither, NOW, 300, jwt,
                               sizeof jwt, &jn, &err),
               FAPI_INVALID_PARAMETER);
    CHECK_CODE(fapi_jarm_issue(obie, as, S(AS_ISSUER), S(CLIENT_ID), &r, NOW, 300, jwt,
                               sizeof jwt, &jn, &err),
               FAPI_ALG_NOT_ALLOWED);

    /* buffers too small */
    CHECK_OK(fapi_jarm_issue(ms, as, S(AS_ISSUER), S(CLIENT_ID), &r, NOW, 300, jwt, sizeof jwt,
                             &jn, &err));
    size_t need = 0;
    CHECK_CODE(fapi_jarm_issue(ms, as, S(AS_ISSUER), S(CLIENT_ID), &r, NOW, 300, jwt, 16, &need,
                               &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(need == jn);
    qn = snprintf(query, sizeof query, "response=%.*s", (int)jn, jwt);
    CHECK_CODE(fapi_jarm_verify(ms, as_pub, &e, query, (size_t)qn, buf, 4, &n, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(n == strlen("{\"code\":\"" CODE "\",\"state\":\"" STATE "\"}"));

    /* NULL arguments */
    CHECK_CODE(fapi_jarm_issue(ms, as, S(AS_ISSUER), S(CLIENT_ID), NULL, NOW, 300, jwt,
                               sizeof jwt, &jn, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_jarm_verify(ms, as_pub, NULL, query, (size_t)qn, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_jarm_verify(ms, as_pub, &e, NULL, 5, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);

    fapi_public_key_free(as_pub);
    fapi_public_key_free(other_pub);
    fapi_key_free(as);
    fapi_key_free(other);
}

/* Flips a base64url character to another that decodes to other bits. */
static void flip(char *c) { *c = (*c == 'A') ? 'B' : 'A'; }

/* The start of the `i`-th part (0 to 4) of a compact JWE. */
static char *part(char *jwe, size_t len, int i) {
    size_t at = 0;
    for (int seen = 0; seen < i && at < len; at++)
        if (jwe[at] == '.') seen++;
    return jwe + at;
}

/* JWE: the decryption key, encrypt and decrypt, the profiles' allow-lists
 * (OFB-ALG), RSA1_5 refused, the one decryption error. */
static void test_jwe(void) {
    const fapi_profile *fapi2 = profile("fapi2"), *ofb = profile("ofb");
    fapi_decryption_key *dk = NULL, *dk_der = NULL, *none = (fapi_decryption_key *)1;
    CHECK_OK(fapi_decryption_key_from_pkcs8(S_U8(RSA_PKCS8_PEM), &dk, &err));
    CHECK_OK(fapi_decryption_key_from_pkcs8(RSA_PKCS8_DER, sizeof RSA_PKCS8_DER, &dk_der, &err));
    CHECK(dk != NULL && dk_der != NULL);
    /* only RSA (RSA-OAEP); not PKCS#1 PEM; not junk */
    CHECK_REFUSED(fapi_decryption_key_from_pkcs8(S_U8(P256_PEM), &none, &err),
                  FAPI_UNSUPPORTED_KEY_TYPE, "server_error");
    CHECK(none == NULL);
    CHECK_CODE(fapi_decryption_key_from_pkcs8(S_U8(RSA_PKCS1_PEM), &none, &err),
               FAPI_UNSUPPORTED_KEY_TYPE);
    CHECK_CODE(fapi_decryption_key_from_pkcs8(S_U8("junk"), &none, &err), FAPI_INVALID_KEY);
    CHECK_CODE(fapi_decryption_key_from_pkcs8(NULL, 4, &none, &err), FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_decryption_key_from_pkcs8(S_U8(RSA_PKCS8_PEM), NULL, &err),
               FAPI_NULL_ARGUMENT);
    fapi_decryption_key_free(NULL);

    /* the public JWK: "use":"enc", the alg, the thumbprint as kid */
    char jwk[2048];
    size_t kn = 0;
    CHECK_OK(fapi_decryption_key_jwk(dk, S("RSA-OAEP"), jwk, sizeof jwk, &kn, &err));
    CHECK(contains(jwk, kn, "\"use\":\"enc\""));
    CHECK(contains(jwk, kn, "\"alg\":\"RSA-OAEP\""));
    CHECK(contains(jwk, kn, "\"kid\":\"" RSA_THUMBPRINT "\""));
    CHECK(!contains(jwk, kn, "\"d\""));
    CHECK_OK(fapi_decryption_key_jwk(dk_der, NULL, 0, buf, sizeof buf, &n, &err));
    CHECK(!contains(buf, n, "\"alg\""));
    CHECK_CODE(fapi_decryption_key_jwk(dk, S("RSA1_5"), buf, sizeof buf, &n, &err),
               FAPI_UNSUPPORTED_ALG);
    CHECK_CODE(fapi_decryption_key_jwk(dk, S("RSA-OAEP"), buf, 10, &n, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(n == kn);
    char jwks[2200];
    int jwks_n = snprintf(jwks, sizeof jwks, "{\"keys\":[%.*s]}", (int)kn, jwk);

    /* round trips: every enc under fapi2, each alg; the DER key decrypts too */
    const char *encs[] = {"A128GCM", "A256GCM", "A128CBC-HS256", "A256CBC-HS512"};
    const char *secret = "the request object's claims";
    char jwe[8192];
    size_t wn = 0;
    for (size_t i = 0; i < 4; i++) {
        CHECK_OK(fapi_jwe_encrypt(fapi2, jwks, (size_t)jwks_n, S("RSA-OAEP"), encs[i],
                                  strlen(encs[i]), NULL, 0, (const uint8_t *)secret,
                                  strlen(secret), jwe, sizeof jwe, &wn, &err));
        CHECK_OK(fapi_jwe_decrypt(fapi2, dk_der, jwe, wn, false, (uint8_t *)buf, sizeof buf, &n,
                                  &err));
        CHECK(n == strlen(secret) && memcmp(buf, secret, n) == 0);
    }
    CHECK_OK(fapi_decryption_key_jwk(dk, S("RSA-OAEP-256"), jwk, sizeof jwk, &kn, &err));
    CHECK_OK(fapi_jwe_encrypt(fapi2, jwk, kn, S("RSA-OAEP-256"), S("A128GCM"), NULL, 0,
                              (const uint8_t *)secret, strlen(secret), jwe, sizeof jwe, &wn,
                              &err));
    CHECK_OK(fapi_jwe_decrypt(fapi2, dk, jwe, wn, false, (uint8_t *)buf, sizeof buf, &n, &err));
    CHECK(n == strlen(secret) && memcmp(buf, secret, n) == 0);
    /* the key's JWK names RSA-OAEP-256: no key for RSA-OAEP */
    CHECK_CODE(fapi_jwe_encrypt(fapi2, jwk, kn, S("RSA-OAEP"), S("A128GCM"), NULL, 0,
                                (const uint8_t *)secret, strlen(secret), jwe, sizeof jwe, &wn,
                                &err),
               FAPI_KEY_NOT_FOUND);

    /* OFB-ALG: RSA-OAEP with A256GCM only, both ways */
    char oaep256[8192], a128[8192];
    size_t on = 0, an = 0;
    CHECK_OK(fapi_jwe_encrypt(fapi2, jwks, (size_t)jwks_n, S("RSA-OAEP"), S("A256GCM"), NULL, 0,
                              (const uint8_t *)secret, strlen(secret), jwe, sizeof jwe, &wn,
                              &err));
    CHECK_OK(fapi_jwe_decrypt(ofb, dk, jwe, wn, false, (uint8_t *)buf, sizeof buf, &n, &err));
    CHECK_OK(fapi_jwe_encrypt(fapi2, jwk, kn, S("RSA-OAEP-256"), S("A256GCM"), NULL, 0,
                              (const uint8_t *)secret, strlen(secret), oaep256, sizeof oaep256,
                              &on, &err));
    CHECK_REFUSED(fapi_jwe_decrypt(ofb, dk, oaep256, on, false, (uint8_t *)buf, sizeof buf, &n,
                                   &err),
                  FAPI_ALG_NOT_ALLOWED, "invalid_request_object");
    CHECK_OK(fapi_jwe_encrypt(fapi2, jwks, (size_t)jwks_n, S("RSA-OAEP"), S("A128GCM"), NULL, 0,
                              (const uint8_t *)secret, strlen(secret), a128, sizeof a128, &an,
                              &err));
    CHECK_CODE(fapi_jwe_decrypt(ofb, dk, a128, an, false, (uint8_t *)buf, sizeof buf, &n, &err),
               FAPI_ENC_NOT_ALLOWED);
    CHECK_CODE(fapi_jwe_encrypt(ofb, jwk, kn, S("RSA-OAEP-256"), S("A256GCM"), NULL, 0,
                                (const uint8_t *)secret, strlen(secret), jwe, sizeof jwe, &wn,
                                &err),
               FAPI_ALG_NOT_ALLOWED);
    CHECK_CODE(fapi_jwe_encrypt(ofb, jwks, (size_t)jwks_n, S("RSA-OAEP"), S("A128GCM"), NULL, 0,
                                (const uint8_t *)secret, strlen(secret), jwe, sizeof jwe, &wn,
                                &err),
               FAPI_ENC_NOT_ALLOWED);

    /* RSA1_5 (RFC 3218's oracle) and dir: refused before the key is used */
    CHECK_REFUSED(fapi_jwe_decrypt(fapi2, dk,
                                   S("eyJhbGciOiJSU0ExXzUiLCJlbmMiOiJBMTI4R0NNIn0.AA.AA.AA.AA"),
                                   false, (uint8_t *)buf, sizeof buf, &n, &err),
                  FAPI_UNSUPPORTED_ALG, "invalid_request_object");
    CHECK_CODE(fapi_jwe_decrypt(fapi2, dk, S("eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0..AA.AA.AA"),
                                false, (uint8_t *)buf, sizeof buf, &n, &err),
               FAPI_UNSUPPORTED_ALG);
    CHECK_CODE(fapi_jwe_encrypt(fapi2, jwks, (size_t)jwks_n, S("RSA1_5"), S("A128GCM"), NULL, 0,
                                (const uint8_t *)secret, strlen(secret), jwe, sizeof jwe, &wn,
                                &err),
               FAPI_UNSUPPORTED_ALG);
    CHECK_CODE(fapi_jwe_encrypt(fapi2, jwks, (size_t)jwks_n, S("RSA-OAEP"), S("A192GCM"), NULL,
                                0, (const uint8_t *)secret, strlen(secret), jwe, sizeof jwe, &wn,
                                &err),
               FAPI_UNSUPPORTED_ENC);
    CHECK_CODE(fapi_jwe_decrypt(fapi2, dk, S("a.b.c"), false, (uint8_t *)buf, sizeof buf, &n,
                                &err),
               FAPI_MALFORMED);

    /* the one decryption error: the tag, the ciphertext, the encrypted key modified */
    CHECK_OK(fapi_jwe_encrypt(fapi2, jwks, (size_t)jwks_n, S("RSA-OAEP"), S("A128CBC-HS256"),
                              NULL, 0, (const uint8_t *)secret, strlen(secret), jwe, sizeof jwe,
                              &wn, &err));
    for (int i = 1; i <= 4; i++) {
        /* the encrypted key, the IV, the ciphertext, the tag */
        char copy[8192];
        memcpy(copy, jwe, wn);
        flip(part(copy, wn, i));
        CHECK_REFUSED(fapi_jwe_decrypt(fapi2, dk, copy, wn, false, (uint8_t *)buf, sizeof buf,
                                       &n, &err),
                      FAPI_DECRYPTION_FAILED, "invalid_request_object");
    }
    /* A GCM tag modified */
    CHECK_OK(fapi_jwe_encrypt(fapi2, jwks, (size_t)jwks_n, S("RSA-OAEP"), S("A256GCM"), NULL, 0,
                              (const uint8_t *)secret, strlen(secret), jwe, sizeof jwe, &wn,
                              &err));
    flip(part(jwe, wn, 4));
    CHECK_CODE(fapi_jwe_decrypt(fapi2, dk, jwe, wn, false, (uint8_t *)buf, sizeof buf, &n, &err),
               FAPI_DECRYPTION_FAILED);

    /* a kid that is not the key's */
    const char *other_kid =
        "{\"kty\":\"RSA\",\"use\":\"enc\",\"kid\":\"enc-2\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\"}";
    CHECK_OK(fapi_jwe_encrypt(fapi2, other_kid, strlen(other_kid), S("RSA-OAEP"), S("A256GCM"),
                              NULL, 0, (const uint8_t *)secret, strlen(secret), jwe, sizeof jwe,
                              &wn, &err));
    CHECK_CODE(fapi_jwe_decrypt(fapi2, dk, jwe, wn, false, (uint8_t *)buf, sizeof buf, &n, &err),
               FAPI_KEY_NOT_FOUND);
    /* recipients: a signing key, private members, not JSON */
    CHECK_CODE(fapi_jwe_encrypt(fapi2, S(RFC7638_JWK), S("RSA-OAEP"), S("A256GCM"), NULL, 0,
                                (const uint8_t *)secret, strlen(secret), jwe, sizeof jwe, &wn,
                                &err),
               FAPI_KEY_NOT_FOUND);
    CHECK_CODE(fapi_jwe_encrypt(fapi2, S("{\"kty\":\"RSA\",\"use\":\"enc\",\"d\":\"AA\"}"),
                                S("RSA-OAEP"), S("A256GCM"), NULL, 0, (const uint8_t *)secret,
                                strlen(secret), jwe, sizeof jwe, &wn, &err),
               FAPI_PRIVATE_KEY_MEMBER);
    CHECK_CODE(fapi_jwe_encrypt(fapi2, S("{"), S("RSA-OAEP"), S("A256GCM"), NULL, 0,
                                (const uint8_t *)secret, strlen(secret), jwe, sizeof jwe, &wn,
                                &err),
               FAPI_JSON);

    /* a nested JWT: an ID token signed, then encrypted (cty JWT), then
     * decrypted and verified; without cty where one is expected: refused */
    fapi_key *as = pem_key(P256_PEM);
    fapi_public_key *as_pub = public_of(as);
    fapi_id_token_params p = id_params();
    char tok[4096];
    size_t tn = 0;
    CHECK_OK(fapi_id_token_issue(fapi2, as, &p, tok, sizeof tok, &tn, &err));
    CHECK_OK(fapi_jwe_encrypt(fapi2, jwks, (size_t)jwks_n, S("RSA-OAEP"), S("A256GCM"), S("JWT"),
                              (const uint8_t *)tok, tn, jwe, sizeof jwe, &wn, &err));
    char inner[8192];
    size_t inn = 0;
    CHECK_OK(fapi_jwe_decrypt(fapi2, dk, jwe, wn, true, (uint8_t *)inner, sizeof inner, &inn,
                              &err));
    CHECK(inn == tn && memcmp(inner, tok, tn) == 0);
    fapi_id_token_expectations e = id_expect();
    CHECK_OK(fapi_id_token_verify(fapi2, as_pub, &e, inner, inn, buf, sizeof buf, &n, &err));
    CHECK_OK(fapi_jwe_encrypt(fapi2, jwks, (size_t)jwks_n, S("RSA-OAEP"), S("A256GCM"), NULL, 0,
                              (const uint8_t *)tok, tn, jwe, sizeof jwe, &wn, &err));
    CHECK_CODE(fapi_jwe_decrypt(fapi2, dk, jwe, wn, true, (uint8_t *)inner, sizeof inner, &inn,
                                &err),
               FAPI_NOT_NESTED_JWT);

    /* buffers too small: the size needed in the out-length, then enough */
    CHECK_OK(fapi_jwe_encrypt(fapi2, jwks, (size_t)jwks_n, S("RSA-OAEP"), S("A256GCM"), NULL, 0,
                              (const uint8_t *)secret, strlen(secret), jwe, sizeof jwe, &wn,
                              &err));
    CHECK_CODE(fapi_jwe_decrypt(fapi2, dk, jwe, wn, false, (uint8_t *)buf, 5, &n, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(n == strlen(secret));
    CHECK_OK(fapi_jwe_decrypt(fapi2, dk, jwe, wn, false, (uint8_t *)buf, n, &n, &err));
    size_t need = 0;
    CHECK_CODE(fapi_jwe_encrypt(fapi2, jwks, (size_t)jwks_n, S("RSA-OAEP"), S("A256GCM"), NULL, 0,
                                (const uint8_t *)secret, strlen(secret), jwe, 100, &need, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(need == wn);
    CHECK_OK(fapi_jwe_encrypt(fapi2, jwks, (size_t)jwks_n, S("RSA-OAEP"), S("A256GCM"), NULL, 0,
                              (const uint8_t *)secret, strlen(secret), jwe, need, &wn, &err));
    CHECK(wn == need);

    /* NULL arguments */
    CHECK_CODE(fapi_jwe_decrypt(fapi2, NULL, jwe, wn, false, (uint8_t *)buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_jwe_decrypt(NULL, dk, jwe, wn, false, (uint8_t *)buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_jwe_decrypt(fapi2, dk, jwe, wn, false, (uint8_t *)buf, sizeof buf, NULL, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_jwe_encrypt(fapi2, NULL, 10, S("RSA-OAEP"), S("A256GCM"), NULL, 0,
                                (const uint8_t *)secret, strlen(secret), jwe, sizeof jwe, &wn,
                                &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_decryption_key_jwk(NULL, NULL, 0, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);

    fapi_public_key_free(as_pub);
    fapi_key_free(as);
    fapi_decryption_key_free(dk);
    fapi_decryption_key_free(dk_der);
}

int main(void) {
    test_id_tokens();
    test_jarm();
    test_jwe();
    return finish("test_oidc");
}
