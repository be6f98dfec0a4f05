/* The fapi C API with a PKCS#11 key (SoftHSM2): loading by parameters and
 * by RFC 7512 URI, every loading refusal, an HSM key issuing a
 * DPoP-bound access token that the resource server verifies, and signing
 * an HTTP request (RFC 9421) that verifies with the key's JWKS.
 *
 * Reads FAPI_PKCS11_MODULE, FAPI_PKCS11_TOKEN, FAPI_PKCS11_PIN (from
 * crates/fapi-pkcs11/tests/softhsm-setup.sh) and FAPI_CAPI_HSM_KEY, the
 * label of the key .ci/capi imports: the P-256 test key of vectors.h, with
 * CKA_ID c0ffee, so that its thumbprint is known. */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fdopen */
#include "check.h"
#include "vectors.h"

#define NOW 1900000000u

static char buf[8192];
static size_t n;

static const char *env(const char *name) {
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static void check_kid(const fapi_key *k) {
    CHECK_OK(fapi_key_id(k, buf, sizeof buf, &n, &err));
    CHECK(n == 43 && memcmp(buf, P256_THUMBPRINT, 43) == 0);
}

int main(void) {
    const char *module = env("FAPI_PKCS11_MODULE"), *token = env("FAPI_PKCS11_TOKEN"),
               *pin = env("FAPI_PKCS11_PIN"), *label = env("FAPI_CAPI_HSM_KEY");
    if (module == NULL || token == NULL || pin == NULL || label == NULL) {
        const char *ci = getenv("CI");
        fprintf(stderr, "*** SKIPPED: no SoftHSM2 token (run .ci/capi, or source "
                        "crates/fapi-pkcs11/tests/softhsm-setup.sh and import a key) ***\n");
        return ci != NULL && strcmp(ci, "true") == 0 ? 1 : 0;
    }
    fapi_key *k = (fapi_key *)1;

    /* A wrong PIN first: once the process is logged in, the token accepts
     * any C_Login as "already logged in". */
    CHECK_REFUSED(fapi_key_from_pkcs11(module, strlen(module), token, strlen(token), label,
                                       strlen(label), S("not-the-pin"), &k, &err),
                  FAPI_HSM, "server_error");
    CHECK(k == NULL);
    CHECK(strstr(msg, "PIN") != NULL);

    /* by module, token, label and PIN */
    CHECK_OK(fapi_key_from_pkcs11(module, strlen(module), token, strlen(token), label,
                                  strlen(label), pin, strlen(pin), &k, &err));
    check_kid(k);
    fapi_alg alg = 0;
    CHECK_OK(fapi_key_alg(k, &alg, &err));
    CHECK(alg == FAPI_ALG_ES256);

    /* by URI: object label, CKA_ID, PIN file */
    char uri[2048];
    snprintf(uri, sizeof uri, "pkcs11:token=%s;object=%s;type=private?module-path=%s&pin-value=%s",
             token, label, module, pin);
    fapi_key *by_uri = NULL;
    CHECK_OK(fapi_key_from_pkcs11_uri(uri, strlen(uri), &by_uri, &err));
    check_kid(by_uri);
    fapi_key_free(by_uri);
    snprintf(uri, sizeof uri, "pkcs11:token=%s;id=%%C0%%FF%%EE?module-path=%s&pin-value=%s", token,
             module, pin);
    CHECK_OK(fapi_key_from_pkcs11_uri(uri, strlen(uri), &by_uri, &err));
    check_kid(by_uri);
    fapi_key_free(by_uri);
    char pin_file[] = "/tmp/fapi-capi-pin-XXXXXX";
    int fd = mkstemp(pin_file);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "%s\n", pin);
    fclose(f);
    snprintf(uri, sizeof uri, "pkcs11:token=%s;object=%s?module-path=%s&pin-source=file:%s", token,
             label, module, pin_file);
    CHECK_OK(fapi_key_from_pkcs11_uri(uri, strlen(uri), &by_uri, &err));
    check_kid(by_uri);
    fapi_key_free(by_uri);
    remove(pin_file);

    /* loading refusals */
    CHECK_REFUSED(fapi_key_from_pkcs11(module, strlen(module), token, strlen(token),
                                       S("no-such-key"), pin, strlen(pin), &by_uri, &err),
                  FAPI_KEY_NOT_FOUND, "server_error");
    CHECK_CODE(fapi_key_from_pkcs11(module, strlen(module), S("no-such-token"), label,
                                    strlen(label), pin, strlen(pin), &by_uri, &err),
               FAPI_HSM);
    CHECK_CODE(fapi_key_from_pkcs11(S("/nonexistent/libpkcs11.so"), token, strlen(token), label,
                                    strlen(label), pin, strlen(pin), &by_uri, &err),
               FAPI_HSM);
    CHECK_CODE(fapi_key_from_pkcs11(NULL, 4, token, strlen(token), label, strlen(label), pin,
                                    strlen(pin), &by_uri, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_CODE(fapi_key_from_pkcs11(module, strlen(module), token, strlen(token), label,
                                    strlen(label), pin, strlen(pin), NULL, &err),
               FAPI_NULL_ARGUMENT);
    CHECK_REFUSED(fapi_key_from_pkcs11_uri(S("pkcs11:token=x;object=y;serial=1?pin-value=1"),
                                           &by_uri, &err),
                  FAPI_INVALID_ARGUMENT, "server_error");
    CHECK_CODE(fapi_key_from_pkcs11_uri(S("pkcs11:token=x;object=y"), &by_uri, &err),
               FAPI_INVALID_ARGUMENT);
    CHECK_CODE(fapi_key_from_pkcs11_uri(S("file:///etc/key.pem"), &by_uri, &err),
               FAPI_INVALID_ARGUMENT);
    CHECK_CODE(fapi_key_from_pkcs11_uri(S("pkcs11:token=x;object=y?pin-source=/nonexistent"),
                                        &by_uri, &err),
               FAPI_HSM);
    CHECK_CODE(fapi_key_from_pkcs11_uri(NULL, 3, &by_uri, &err), FAPI_NULL_ARGUMENT);
    CHECK(by_uri == NULL);

    /* the HSM key signs an access token bound to a client's DPoP key */
    const fapi_profile *fapi2 = NULL;
    CHECK_OK(fapi_profile_get(S("fapi2"), &fapi2, &err));
    fapi_replay_cache *cache = NULL;
    CHECK_OK(fapi_replay_cache_new(64, &cache, &err));
    fapi_key *client = NULL;
    CHECK_OK(fapi_key_generate(FAPI_ALG_ES256, &client, &err));
    char proof[4096];
    size_t pn = 0;
    fapi_dpop_proof_params pp = {S("POST"), S("https://as.example/token"), NOW, NULL, 0, NULL, 0};
    CHECK_OK(fapi_dpop_proof_create(client, &pp, proof, sizeof proof, &pn, &err));
    fapi_dpop_request treq = {S("POST"), S("https://as.example/token"), NULL, 0, NULL, NULL, 0};
    fapi_verified_dpop_proof *vp = NULL;
    char jkt[64];
    size_t jn = 0;
    CHECK_OK(fapi_dpop_proof_verify(fapi2, proof, pn, &treq, cache, NOW, jkt, sizeof jkt, &jn,
                                    &vp, &err));
    fapi_access_token_params tp = {S("https://as.example"), S("alice"), S("https://rs.example"),
                                   S("fintech-1"), NULL, 0, NOW, 300, vp, NULL, 0, NULL, 0};
    char token_out[4096];
    size_t tn = 0;
    CHECK_OK(fapi_access_token_issue(fapi2, k, &tp, token_out, sizeof token_out, &tn, &err));
    CHECK_CODE(fapi_access_token_issue(fapi2, k, &tp, token_out, 32, &n, &err),
               FAPI_INSUFFICIENT_SIZE);
    CHECK(n == tn);
    fapi_public_key *pub = NULL;
    CHECK_OK(fapi_key_public(k, &pub, &err));
    fapi_dpop_proof_params rp = {S("GET"), S("https://rs.example/accounts"), NOW, token_out, tn,
                                 NULL, 0};
    CHECK_OK(fapi_dpop_proof_create(client, &rp, proof, sizeof proof, &pn, &err));
    fapi_token_expectations ex = {S("https://as.example"), S("https://rs.example"), 10};
    fapi_resource_request rr = {token_out, tn, S("GET"), S("https://rs.example/accounts"),
                                proof, pn, NULL, 0, NOW, NULL, NULL, 0};
    CHECK_OK(fapi_access_token_verify(fapi2, pub, &ex, &rr, cache, buf, sizeof buf, &n, &err));
    /* the JWKS of the HSM key */
    const fapi_key *keys[] = {k};
    CHECK_OK(fapi_jwks_write(keys, 1, buf, sizeof buf, &n, &err));
    buf[n] = '\0';
    CHECK(strstr(buf, P256_THUMBPRINT) != NULL);
    size_t jwks_len = n;

    /* BG-SIGNED-REQ with the HSM key: RFC 9421 §3.1 signing of a resource
     * request in the token, §3.2 verification with the key's JWKS */
    char jwks[2048];
    memcpy(jwks, buf, jwks_len);
    char digest[FAPI_CONTENT_DIGEST_MAX], input[1024], sig[512];
    size_t dn = 0, in_len = 0, sig_len = 0;
    CHECK_OK(fapi_content_digest_write(FAPI_DIGEST_SHA256, S_U8("{}"), digest, sizeof digest, &dn,
                                       &err));
    fapi_http_field fields[4] = {{S("Authorization"), S("DPoP at-1")},
                                 {S("Content-Digest"), digest, dn}};
    fapi_http_request hrq = {S("POST"), S("https://rs.example/payments"), fields, 2};
    CHECK_OK(fapi_http_sig_sign_request(k, S("sig1"), &hrq, S_U8("{}"), NOW, input, sizeof input,
                                        &in_len, sig, sizeof sig, &sig_len, &err));
    fapi_http_field si = {S("Signature-Input"), input, in_len}, sg = {S("Signature"), sig, sig_len};
    fields[2] = si;
    fields[3] = sg;
    hrq.n_fields = 4;
    fapi_http_sig_verified hv;
    CHECK_OK(fapi_http_sig_verify_request(fapi2, &hrq, S_U8("{}"), jwks, jwks_len, NOW + 1, &hv,
                                          &err));
    CHECK(hv.alg == FAPI_HTTP_SIG_ECDSA_P256_SHA256 && hv.keyid_len == 43 &&
          memcmp(hv.keyid, P256_THUMBPRINT, 43) == 0);
    CHECK_CODE(fapi_http_sig_verify_request(fapi2, &hrq, S_U8("{ }"), jwks, jwks_len, NOW + 1,
                                            &hv, &err),
               FAPI_DIGEST_MISMATCH);

    fapi_public_key_free(pub);
    fapi_verified_dpop_proof_free(vp);
    fapi_key_free(client);
    fapi_replay_cache_free(cache);
    fapi_key_free(k);
    return finish("test_hsm");
}
