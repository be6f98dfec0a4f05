/* HTTP message signatures (RFC 9421) and Content-Digest (RFC 9530) through
 * the fapi C API, under FAPI 2.0 HTTP Signatures (BG-SIGNED-REQ: the TPP
 * signs its requests). Known answers: RFC 9530 §2 digests, RFC 9421
 * Appendix B.2.4 (ecdsa-p256-sha256) and B.2.6 (ed25519) signature bases
 * and signatures with the RFC's test keys. Round trips with ES256 and
 * Ed25519 keys; every refusal with its code and OAuth error. */
#include "check.h"
#include "vectors.h"

#define NOW 1900000000u
#define URI "https://api.bank.example/payments?x=1"
#define BODY "{\"amount\":\"10.00\"}"
#define RESPONSE_BODY "{\"status\":\"accepted\"}"

static char buf[16384];
static size_t n;

static const fapi_profile *profile(const char *name) {
    const fapi_profile *p = NULL;
    CHECK_OK(fapi_profile_get(name, strlen(name), &p, &err));
    return p;
}

/* A message's field lines, with room for the values written into it. */
typedef struct {
    fapi_http_field f[16];
    size_t n;
    char store[4][1024];
    size_t used;
} lines;

static void add(lines *l, const char *name, const char *value, size_t len) {
    fapi_http_field f = {name, strlen(name), value, len};
    l->f[l->n++] = f;
}

/* Adds a value that `l` keeps a copy of. */
static void add_copy(lines *l, const char *name, const char *value, size_t len) {
    char *slot = l->store[l->used++];
    memcpy(slot, value, len);
    add(l, name, slot, len);
}

/* `l` without its lines named `name`; its values stay where they are (in
 * `l` itself for those it keeps a copy of), so `l` must outlive it. */
static lines without(const lines *l, const char *name) {
    lines out = {0};
    for (size_t i = 0; i < l->n; i++) {
        fapi_http_field f = l->f[i];
        if (f.name_len == strlen(name) && strncmp(f.name, name, f.name_len) == 0) continue;
        out.f[out.n++] = f;
    }
    return out;
}

static fapi_http_request request_of(const lines *l, const char *uri) {
    fapi_http_request r = {"POST", 4, uri, strlen(uri), l->f, l->n};
    return r;
}

static bool equals(const char *p, size_t len, const char *want) {
    return len == strlen(want) && memcmp(p, want, len) == 0;
}

static fapi_key *load_pem(const char *pem) {
    fapi_key *k = NULL;
    CHECK_OK(fapi_key_from_pkcs8((const uint8_t *)pem, strlen(pem), &k, &err));
    return k;
}

/* RFC 9530 §2 and Appendix B: Content-Digest of the RFC 9421 B.2 bodies. */
static void test_rfc9530_content_digest(void) {
    CHECK_OK(fapi_content_digest_write(FAPI_DIGEST_SHA256, S_U8(RFC9421_REQUEST_BODY), buf,
                                       sizeof buf, &n, &err));
    CHECK(equals(buf, n, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"));
    CHECK_OK(fapi_content_digest_write(FAPI_DIGEST_SHA512, S_U8(RFC9421_REQUEST_BODY), buf,
                                       sizeof buf, &n, &err));
    CHECK(equals(buf, n, RFC9421_REQUEST_DIGEST));
    CHECK_OK(fapi_content_digest_write(FAPI_DIGEST_SHA512, S_U8(RFC9421_RESPONSE_BODY), buf,
                                       sizeof buf, &n, &err));
    CHECK(equals(buf, n, RFC9421_RESPONSE_DIGEST));
    CHECK(n <= FAPI_CONTENT_DIGEST_MAX);
    /* no content: the digest of the empty string */
    CHECK_OK(fapi_content_digest_write(FAPI_DIGEST_SHA256, NULL, 0, buf, sizeof buf, &n, &err));
    CHECK(equals(buf, n, "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"));
    /* too small: the size needed; another algorithm; NULL */
    CHECK_CODE(fapi_content_digest_write(FAPI_DIGEST_SHA256, S_U8(BODY), buf, 10, &n, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(n == 54);
    CHECK_CODE(fapi_content_digest_write(7, S_U8(BODY), buf, sizeof buf, &n, &err),
               FAPI_INVALID_ARGUMENT);
    CHECK_CODE(fapi_content_digest_write(FAPI_DIGEST_SHA256, NULL, 4, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_content_digest_write(FAPI_DIGEST_SHA256, S_U8(BODY), buf, sizeof buf, NULL,
                                         &err),
               FAPI_NULL_ARGUMENT);
}

/* The RFC 9421 Appendix B.2 test request. */
static lines rfc_request(void) {
    lines l = {0};
    add(&l, "Host", S("example.com"));
    add(&l, "Date", S("Tue, 20 Apr 2021 02:07:55 GMT"));
    add(&l, "Content-Type", S("application/json"));
    add(&l, "Content-Digest", S(RFC9421_REQUEST_DIGEST));
    add(&l, "Content-Length", S("18"));
    return l;
}

/* RFC 9421 B.2.6: the signature base of sig-b26 byte for byte, and the
 * RFC's ed25519 signature verified over it with test-key-ed25519. The
 * signature is no FAPI one (no tag, no @target-uri, no authorization): the
 * profile's verification refuses it. */
static void test_rfc9421_b_2_6_ed25519(void) {
    lines l = rfc_request();
    add(&l, "Signature-Input", S(RFC9421_B26_INPUT));
    add(&l, "Signature", S(RFC9421_B26_SIGNATURE));
    fapi_http_request rq = request_of(&l, RFC9421_TARGET);
    CHECK_OK(fapi_http_sig_signature_base(S("sig-b26"), &rq, NULL, buf, sizeof buf, &n, &err));
    CHECK(equals(buf, n, RFC9421_B26_BASE));
    size_t base_len = n;
    fapi_public_key *pub = NULL;
    CHECK_OK(fapi_public_key_from_jwk(S(RFC9421_ED25519_PUBLIC_JWK), &pub, &err));
    CHECK_OK(fapi_public_key_verify(pub, (const uint8_t *)buf, base_len, RFC9421_B26_SIG, 64,
                                    &err));
    /* one bit of the base changed */
    buf[10] ^= 1;
    CHECK_REFUSED(fapi_public_key_verify(pub, (const uint8_t *)buf, base_len, RFC9421_B26_SIG, 64,
                                         &err),
                  FAPI_BAD_SIGNATURE, "invalid_token");
    fapi_public_key_free(pub);
    /* the base into a buffer too small: the size needed */
    CHECK_CODE(fapi_http_sig_signature_base(S("sig-b26"), &rq, NULL, buf, 16, &n, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(n == base_len);
    /* no such label */
    CHECK_REFUSED(fapi_http_sig_signature_base(S("sig1"), &rq, NULL, buf, sizeof buf, &n, &err),
                  FAPI_SIGNATURE_MISSING, "server_error");
    /* the same request under FAPI 2.0: no signature tagged fapi-2-request */
    fapi_http_sig_verified v;
    CHECK_REFUSED(fapi_http_sig_verify_request(profile("fapi2"), &rq, S_U8(RFC9421_REQUEST_BODY),
                                               S(RFC9421_ED25519_JWKS), 1618884473u, &v, &err),
                  FAPI_WRONG_TAG, "invalid_token");
    CHECK(v.label == NULL && v.keyid == NULL && v.created == 0);
}

/* RFC 9421 B.2.4: the response's signature base (@status) and the RFC's
 * ecdsa-p256-sha256 signature with test-key-ecc-p256. */
static void test_rfc9421_b_2_4_ecdsa_response(void) {
    lines l = {0};
    add(&l, "Date", S("Tue, 20 Apr 2021 02:07:56 GMT"));
    add(&l, "Content-Type", S("application/json"));
    add(&l, "Content-Digest", S(RFC9421_RESPONSE_DIGEST));
    add(&l, "Content-Length", S("23"));
    add(&l, "Signature-Input", S(RFC9421_B24_INPUT));
    fapi_http_response rs = {200, l.f, l.n};
    CHECK_OK(fapi_http_sig_signature_base(S("sig-b24"), NULL, &rs, buf, sizeof buf, &n, &err));
    CHECK(equals(buf, n, RFC9421_B24_BASE));
    fapi_public_key *pub = NULL;
    CHECK_OK(fapi_public_key_from_jwk(S(RFC9421_P256_JWK), &pub, &err));
    CHECK_OK(fapi_public_key_verify(pub, (const uint8_t *)buf, n, RFC9421_B24_SIG, 64, &err));
    CHECK_CODE(fapi_public_key_verify(pub, (const uint8_t *)buf, n - 1, RFC9421_B24_SIG, 64, &err),
               FAPI_BAD_SIGNATURE);
    fapi_public_key_free(pub);
    /* RFC 9421 §2.4: `;req` in a response with no request to read */
    lines r = l;
    r.n--;
    add(&r, "Signature-Input", S("s=(\"@method\";req);created=1"));
    fapi_http_response rs2 = {200, r.f, r.n};
    CHECK_CODE(fapi_http_sig_signature_base(S("s"), NULL, &rs2, buf, sizeof buf, &n, &err),
               FAPI_UNSUPPORTED_COMPONENT);
    CHECK_CODE(fapi_http_sig_signature_base(S("s"), NULL, NULL, buf, sizeof buf, &n, &err),
               FAPI_NULL_ARGUMENT);
}

/* A signed resource request: Authorization, DPoP, Content-Digest of BODY,
 * Signature-Input and Signature. */
typedef struct {
    lines l;
    char input[1024], sig[512];
    size_t input_len, sig_len;
} signed_request;

static void sign_request(const fapi_key *key, uint64_t now, signed_request *out) {
    lines *l = &out->l;
    memset(l, 0, sizeof *l);
    add(l, "Host", S("api.bank.example"));
    add(l, "Authorization", S("DPoP at-0123456789"));
    add(l, "DPoP", S("eyJ0eXAiOiJkcG9wK2p3dCJ9.e30.sig"));
    add(l, "Content-Type", S("application/json"));
    char digest[FAPI_CONTENT_DIGEST_MAX];
    size_t dn = 0;
    CHECK_OK(fapi_content_digest_write(FAPI_DIGEST_SHA256, S_U8(BODY), digest, sizeof digest, &dn,
                                       &err));
    add_copy(l, "Content-Digest", digest, dn);
    fapi_http_request rq = request_of(l, URI);
    CHECK_OK(fapi_http_sig_sign_request(key, S("sig1"), &rq, S_U8(BODY), now, out->input,
                                        sizeof out->input, &out->input_len, out->sig,
                                        sizeof out->sig, &out->sig_len, &err));
    add(l, "Signature-Input", out->input, out->input_len);
    add(l, "Signature", out->sig, out->sig_len);
}

static void key_id(const fapi_key *k, char *out, size_t cap, size_t *len) {
    CHECK_OK(fapi_key_id(k, out, cap, len, &err));
    out[*len] = '\0';
}

static size_t jwks_of(const fapi_key *k, char *out, size_t cap) {
    const fapi_key *keys[] = {k};
    size_t len = 0;
    CHECK_OK(fapi_jwks_write(keys, 1, out, cap, &len, &err));
    return len;
}

/* Sign, then verify, a request (client key) and its response (server
 * key), for one pair of keys; then every refusal. */
static void round_trip(const char *client_pem, fapi_http_sig_alg client_alg,
                       const char *client_alg_name, const char *server_pem,
                       fapi_http_sig_alg server_alg) {
    const fapi_profile *fapi2 = profile("fapi2");
    fapi_key *client = load_pem(client_pem), *server = load_pem(server_pem);
    char kid[128], jwks[2048], server_jwks[2048];
    size_t kid_len = 0;
    key_id(client, kid, sizeof kid, &kid_len);
    size_t jwks_len = jwks_of(client, jwks, sizeof jwks);
    size_t server_jwks_len = jwks_of(server, server_jwks, sizeof server_jwks);

    /* BG-SIGNED-REQ: the TPP signs its request; RFC 9421 §3.1 */
    signed_request sr;
    sign_request(client, NOW, &sr);
    char want[1024];
    snprintf(want, sizeof want,
             "sig1=(\"@method\" \"@target-uri\" \"authorization\" \"dpop\" \"content-digest\")"
             ";created=%u;keyid=\"%s\";alg=\"%s\";tag=\"fapi-2-request\"",
             NOW, kid, client_alg_name);
    CHECK(equals(sr.input, sr.input_len, want));
    CHECK(sr.sig_len > 8 && strncmp(sr.sig, "sig1=:", 6) == 0 && sr.sig[sr.sig_len - 1] == ':');
    fapi_http_request rq = request_of(&sr.l, URI);

    /* RFC 9421 §3.2: verified under fapi2 and berlin, 5 s later */
    fapi_http_sig_verified v;
    CHECK_OK(fapi_http_sig_verify_request(fapi2, &rq, S_U8(BODY), jwks, jwks_len, NOW + 5, &v,
                                          &err));
    CHECK(equals(v.label, v.label_len, "sig1"));
    CHECK(equals(v.keyid, v.keyid_len, kid));
    CHECK(v.alg == client_alg && v.created == NOW);
    CHECK_OK(fapi_http_sig_verify_request(profile("berlin"), &rq, S_U8(BODY), jwks, jwks_len,
                                          NOW + 60, NULL, &err));

    /* the response, linked to the signed request (RFC 9421 §2.4) */
    lines rl = {0};
    add(&rl, "Content-Type", S("application/json"));
    char digest[FAPI_CONTENT_DIGEST_MAX];
    size_t dn = 0;
    CHECK_OK(fapi_content_digest_write(FAPI_DIGEST_SHA512, S_U8(RESPONSE_BODY), digest,
                                       sizeof digest, &dn, &err));
    add_copy(&rl, "Content-Digest", digest, dn);
    fapi_http_response rs = {201, rl.f, rl.n};
    char rin[1024], rsig[512];
    size_t rin_len = 0, rsig_len = 0;
    CHECK_OK(fapi_http_sig_sign_response(server, S("sig1"), &rs, S_U8(RESPONSE_BODY), &rq,
                                         NOW + 1, rin, sizeof rin, &rin_len, rsig, sizeof rsig,
                                         &rsig_len, &err));
    rin[rin_len] = '\0';
    const char *covered =
        "sig1=(\"@status\" \"content-digest\" \"@method\";req \"@target-uri\";req "
        "\"content-digest\";req \"signature\";req;key=\"sig1\" "
        "\"signature-input\";req;key=\"sig1\");created=";
    CHECK(strncmp(rin, covered, strlen(covered)) == 0);
    CHECK(strstr(rin, ";tag=\"fapi-2-response\"") != NULL);
    add_copy(&rl, "Signature-Input", rin, rin_len);
    add_copy(&rl, "Signature", rsig, rsig_len);
    rs.fields = rl.f;
    rs.n_fields = rl.n;
    CHECK_OK(fapi_http_sig_verify_response(fapi2, &rs, S_U8(RESPONSE_BODY), &rq, server_jwks,
                                           server_jwks_len, NOW + 2, &v, &err));
    CHECK(v.alg == server_alg && v.created == NOW + 1);
    CHECK(equals(v.label, v.label_len, "sig1"));

    /* --- refusals of the request ------------------------------------ */
    /* RFC 9530 §2: the body changed after signing */
    CHECK_REFUSED(fapi_http_sig_verify_request(fapi2, &rq, S_U8("{\"amount\":\"99.00\"}"), jwks,
                                               jwks_len, NOW, &v, &err),
                  FAPI_DIGEST_MISMATCH, "invalid_token");
    CHECK(v.label == NULL);
    /* RFC 9421 §2.5: a covered field removed */
    lines no_authz = without(&sr.l, "Authorization");
    fapi_http_request rq2 = request_of(&no_authz, URI);
    CHECK_REFUSED(fapi_http_sig_verify_request(fapi2, &rq2, S_U8(BODY), jwks, jwks_len, NOW, &v,
                                               &err),
                  FAPI_COMPONENT_ABSENT, "invalid_token");
    lines no_dpop = without(&sr.l, "DPoP");
    rq2 = request_of(&no_dpop, URI);
    CHECK_CODE(fapi_http_sig_verify_request(fapi2, &rq2, S_U8(BODY), jwks, jwks_len, NOW, &v,
                                            &err),
               FAPI_COMPONENT_ABSENT);
    /* a covered field changed; another target URI */
    lines other_authz = without(&sr.l, "Authorization");
    add(&other_authz, "Authorization", S("DPoP at-other"));
    rq2 = request_of(&other_authz, URI);
    CHECK_CODE(fapi_http_sig_verify_request(fapi2, &rq2, S_U8(BODY), jwks, jwks_len, NOW, &v,
                                            &err),
               FAPI_BAD_SIGNATURE);
    rq2 = request_of(&sr.l, "https://api.bank.example/payments?x=2");
    CHECK_CODE(fapi_http_sig_verify_request(fapi2, &rq2, S_U8(BODY), jwks, jwks_len, NOW, &v,
                                            &err),
               FAPI_BAD_SIGNATURE);
    /* FAPI 2.0 HTTP Signatures: created at most 60 s old, 10 s ahead */
    CHECK_REFUSED(fapi_http_sig_verify_request(fapi2, &rq, S_U8(BODY), jwks, jwks_len, NOW + 61,
                                               &v, &err),
                  FAPI_TOO_OLD, "invalid_token");
    CHECK_CODE(fapi_http_sig_verify_request(fapi2, &rq, S_U8(BODY), jwks, jwks_len, NOW - 11, &v,
                                            &err),
               FAPI_ISSUED_IN_FUTURE);
    /* RFC 9421 §4.1: the label twice, across field lines */
    lines twice = sr.l;
    add(&twice, "Signature-Input", sr.input, sr.input_len);
    rq2 = request_of(&twice, URI);
    CHECK_REFUSED(fapi_http_sig_verify_request(fapi2, &rq2, S_U8(BODY), jwks, jwks_len, NOW, &v,
                                               &err),
                  FAPI_DUPLICATE_LABEL, "invalid_token");
    /* no signature at all */
    lines unsigned_l = without(&sr.l, "Signature-Input");
    unsigned_l = without(&unsigned_l, "Signature");
    rq2 = request_of(&unsigned_l, URI);
    CHECK_CODE(fapi_http_sig_verify_request(fapi2, &rq2, S_U8(BODY), jwks, jwks_len, NOW, &v,
                                            &err),
               FAPI_SIGNATURE_MISSING);
    /* the response's signature presented on a request: its tag is not
     * fapi-2-request */
    lines swapped = unsigned_l;
    add(&swapped, "Signature-Input", rin, rin_len);
    add(&swapped, "Signature", rsig, rsig_len);
    rq2 = request_of(&swapped, URI);
    CHECK_CODE(fapi_http_sig_verify_request(fapi2, &rq2, S_U8(BODY), server_jwks,
                                            server_jwks_len, NOW, &v, &err),
               FAPI_WRONG_TAG);
    /* keyid not in the JWKS; an algorithm the profile refuses (PS256 only) */
    CHECK_CODE(fapi_http_sig_verify_request(fapi2, &rq, S_U8(BODY), server_jwks, server_jwks_len,
                                            NOW, &v, &err),
               FAPI_KEY_NOT_FOUND);
    CHECK_REFUSED(fapi_http_sig_verify_request(profile("obie"), &rq, S_U8(BODY), jwks, jwks_len,
                                               NOW, &v, &err),
                  FAPI_ALG_NOT_ALLOWED, "invalid_token");
    CHECK_CODE(fapi_http_sig_verify_request(fapi2, &rq, S_U8(BODY), S("{\"keys\":"), NOW, &v,
                                            &err),
               FAPI_JSON);

    /* --- refusals of the response ----------------------------------- */
    /* checked against another request: same fields, signed a second later */
    signed_request other;
    sign_request(client, NOW + 1, &other);
    fapi_http_request orq = request_of(&other.l, URI);
    CHECK_REFUSED(fapi_http_sig_verify_response(fapi2, &rs, S_U8(RESPONSE_BODY), &orq,
                                                server_jwks, server_jwks_len, NOW + 2, &v, &err),
                  FAPI_BAD_SIGNATURE, "invalid_token");
    CHECK(v.label == NULL);
    fapi_http_request uri_rq = request_of(&sr.l, "https://api.bank.example/other");
    CHECK_CODE(fapi_http_sig_verify_response(fapi2, &rs, S_U8(RESPONSE_BODY), &uri_rq,
                                             server_jwks, server_jwks_len, NOW + 2, &v, &err),
               FAPI_BAD_SIGNATURE);
    CHECK_CODE(fapi_http_sig_verify_response(fapi2, &rs, S_U8("{}"), &rq, server_jwks,
                                             server_jwks_len, NOW + 2, &v, &err),
               FAPI_DIGEST_MISMATCH);
    CHECK_CODE(fapi_http_sig_verify_response(fapi2, &rs, S_U8(RESPONSE_BODY), &rq, server_jwks,
                                             server_jwks_len, NOW + 62, &v, &err),
               FAPI_TOO_OLD);
    /* a request's signature is not a response's */
    fapi_http_response as_response = {201, sr.l.f, sr.l.n};
    CHECK_CODE(fapi_http_sig_verify_response(fapi2, &as_response, S_U8(BODY), &rq, jwks,
                                             jwks_len, NOW, &v, &err),
               FAPI_WRONG_TAG);
    /* another status */
    fapi_http_response other_status = {200, rl.f, rl.n};
    CHECK_CODE(fapi_http_sig_verify_response(fapi2, &other_status, S_U8(RESPONSE_BODY), &rq,
                                             server_jwks, server_jwks_len, NOW + 2, &v, &err),
               FAPI_BAD_SIGNATURE);

    /* --- signing refusals and buffers ------------------------------- */
    /* too small: both sizes needed, nothing copied; then exactly enough */
    char small_in[10], small_sig[10];
    size_t in_len = 0, sig_len = 0;
    lines plain = without(&unsigned_l, "Nothing");
    fapi_http_request prq = request_of(&plain, URI);
    CHECK_CODE(fapi_http_sig_sign_request(client, S("sig1"), &prq, S_U8(BODY), NOW, small_in,
                                          sizeof small_in, &in_len, small_sig, sizeof small_sig,
                                          &sig_len, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(in_len == sr.input_len && sig_len == sr.sig_len);
    CHECK_CODE(fapi_http_sig_sign_request(client, S("sig1"), &prq, S_U8(BODY), NOW, buf,
                                          sizeof buf, &in_len, small_sig, sizeof small_sig,
                                          &sig_len, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(in_len == sr.input_len && sig_len == sr.sig_len);
    char exact_in[1024], exact_sig[512];
    CHECK_OK(fapi_http_sig_sign_request(client, S("sig1"), &prq, S_U8(BODY), NOW, exact_in,
                                        sr.input_len, &in_len, exact_sig, sr.sig_len, &sig_len,
                                        &err));
    CHECK(in_len == sr.input_len && memcmp(exact_in, sr.input, in_len) == 0);
    /* what the request lacks cannot be signed */
    lines no_digest = without(&plain, "Content-Digest");
    prq = request_of(&no_digest, URI);
    CHECK_REFUSED(fapi_http_sig_sign_request(client, S("sig1"), &prq, S_U8(BODY), NOW, buf,
                                             sizeof buf, &in_len, buf + 8192, 4096, &sig_len,
                                             &err),
                  FAPI_COMPONENT_ABSENT, "server_error");
    lines no_auth = without(&plain, "Authorization");
    prq = request_of(&no_auth, URI);
    CHECK_CODE(fapi_http_sig_sign_request(client, S("sig1"), &prq, S_U8(BODY), NOW, buf,
                                          sizeof buf, &in_len, buf + 8192, 4096, &sig_len, &err),
               FAPI_COMPONENT_ABSENT);
    /* a label that is not an RFC 8941 key; a relative target URI */
    prq = request_of(&plain, URI);
    CHECK_CODE(fapi_http_sig_sign_request(client, S("Sig 1"), &prq, S_U8(BODY), NOW, buf,
                                          sizeof buf, &in_len, buf + 8192, 4096, &sig_len, &err),
               FAPI_INVALID_PARAMETER);
    prq = request_of(&plain, "/payments");
    CHECK_CODE(fapi_http_sig_sign_request(client, S("sig1"), &prq, S_U8(BODY), NOW, buf,
                                          sizeof buf, &in_len, buf + 8192, 4096, &sig_len, &err),
               FAPI_MALFORMED);
    /* a field value that is not UTF-8; NULL arguments */
    lines bad = plain;
    add(&bad, "X-Bad", "\xff\xfe", 2);
    prq = request_of(&bad, URI);
    CHECK_CODE(fapi_http_sig_sign_request(client, S("sig1"), &prq, S_U8(BODY), NOW, buf,
                                          sizeof buf, &in_len, buf + 8192, 4096, &sig_len, &err),
               FAPI_INVALID_ARGUMENT);
    prq = request_of(&plain, URI);
    CHECK_CODE(fapi_http_sig_sign_request(NULL, S("sig1"), &prq, S_U8(BODY), NOW, buf,
                                          sizeof buf, &in_len, buf + 8192, 4096, &sig_len, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_http_sig_sign_request(client, S("sig1"), NULL, S_U8(BODY), NOW, buf,
                                          sizeof buf, &in_len, buf + 8192, 4096, &sig_len, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_http_sig_sign_request(client, S("sig1"), &prq, S_U8(BODY), NOW, buf,
                                          sizeof buf, NULL, buf + 8192, 4096, &sig_len, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_http_sig_sign_response(server, S("sig1"), &rs, S_U8(RESPONSE_BODY), NULL, NOW,
                                           buf, sizeof buf, &in_len, buf + 8192, 4096, &sig_len,
                                           &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_http_sig_verify_request(NULL, &rq, S_U8(BODY), jwks, jwks_len, NOW, &v, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_http_sig_verify_response(fapi2, NULL, S_U8(BODY), &rq, jwks, jwks_len, NOW,
                                             &v, &err),
               FAPI_NULL_ARGUMENT);
    fapi_key_free(client);
    fapi_key_free(server);
}

int main(void) {
    test_rfc9530_content_digest();
    test_rfc9421_b_2_6_ed25519();
    test_rfc9421_b_2_4_ecdsa_response();
    round_trip(P256_PEM, FAPI_HTTP_SIG_ECDSA_P256_SHA256, "ecdsa-p256-sha256", ED25519_PEM,
               FAPI_HTTP_SIG_ED25519);
    round_trip(ED25519_PEM, FAPI_HTTP_SIG_ED25519, "ed25519", P256_PEM,
               FAPI_HTTP_SIG_ECDSA_P256_SHA256);
    return finish("test_http_sig");
}
