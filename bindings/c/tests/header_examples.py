#!/usr/bin/env python3
"""Every ```c example of include/fapi.h, compiled and run.

Writes a C program (argument: its path) in which each example of the
header's doc comments is the body of a function of its own, after a few
lines that declare what the example uses (from tests/c/examples_fixture.h:
real keys, tokens and messages made through the API). The program runs
them all and fails when an example's last call leaves an error message
(every fallible call writes its error detail, empty on success), or when a
documented example has no prelude here (so a new example cannot be left
out). .ci/capi compiles it against the installed library and runs it.

usage: header_examples.py HEADER OUT.c
"""
import re
import sys

# What each example uses, by the function (or type) it documents. Every
# name is declared here as the example expects it.
PRELUDE = {
    "fapi_error_detail": """
        const char *v = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", *c = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        size_t vlen = strlen(v), clen = strlen(c);""",
    "fapi_client_assertion_create": """
        fapi_key *client_key = fx_client;""",
    "fapi_client_assertion_verify": """
        const fapi_profile *profile = fx_fapi2;
        fapi_replay_cache *jtis = fx_jtis;
        char a[2048]; size_t a_len = 0;
        FX_OK(fapi_client_assertion_create(fx_client, "c1", 2, FX_ISSUER, strlen(FX_ISSUER), fx_now(), 60, a, sizeof a, &a_len, &err));
        const char *jwks = fx_client_jwks; size_t jwks_len = fx_client_jwks_len;""",
    "fapi_audit": """
        const fapi_profile *profile = fx_fapi2;
        const char *md = "{\\"issuer\\":\\"" FX_ISSUER "\\",\\"authorization_endpoint\\":\\"" FX_ISSUER "/authorize\\","
            "\\"token_endpoint\\":\\"" FX_ISSUER "/token\\",\\"jwks_uri\\":\\"" FX_ISSUER "/jwks\\","
            "\\"pushed_authorization_request_endpoint\\":\\"" FX_ISSUER "/par\\","
            "\\"require_pushed_authorization_requests\\":true,"
            "\\"token_endpoint_auth_methods_supported\\":[\\"private_key_jwt\\"],"
            "\\"token_endpoint_auth_signing_alg_values_supported\\":[\\"ES256\\"],"
            "\\"dpop_signing_alg_values_supported\\":[\\"ES256\\"],"
            "\\"code_challenge_methods_supported\\":[\\"S256\\"],"
            "\\"response_types_supported\\":[\\"code\\"],"
            "\\"grant_types_supported\\":[\\"authorization_code\\",\\"refresh_token\\"],"
            "\\"authorization_response_iss_parameter_supported\\":true}";""",
    "fapi_dpop_proof_create": """
        fapi_key *client_key = fx_client;""",
    "fapi_dpop_proof_verify": """
        const fapi_profile *profile = fx_fapi2;
        fapi_replay_cache *jtis = fx_jtis;
        char header[2048];
        size_t header_len = fx_proof(fx_client, "POST", "https://as.example/token", NULL, 0, header, sizeof header);""",
    "fapi_verified_dpop_proof_jkt": """
        fapi_verified_dpop_proof *proof = fx_verified_proof();""",
    "fapi_dpop_nonces_new": "",
    "fapi_dpop_nonces_issue": """
        fapi_dpop_nonces *nonces = NULL;
        FX_OK(fapi_dpop_nonces_new(NULL, 0, 0, &nonces, &err));""",
    "fapi_content_digest_write": """
        const uint8_t *body = (const uint8_t *)RFC9421_REQUEST_BODY;
        size_t body_len = strlen(RFC9421_REQUEST_BODY);""",
    "fapi_http_sig_sign_request": """
        fapi_key *tpp_key = fx_client;
        const char *authz = "DPoP " FX_AT; size_t authz_len = strlen(authz);
        char proof[2048];
        size_t proof_len = fx_proof(fx_client, "POST", "https://api.bank.example/payments", FX_AT, strlen(FX_AT), proof, sizeof proof);
        const uint8_t *body = (const uint8_t *)FX_BODY; size_t body_len = strlen(FX_BODY);
        char digest[FAPI_CONTENT_DIGEST_MAX]; size_t digest_len = 0;
        FX_OK(fapi_content_digest_write(FAPI_DIGEST_SHA256, body, body_len, digest, sizeof digest, &digest_len, &err));""",
    "fapi_http_sig_sign_response": """
        fapi_key *bank_key = fx_as;
        static fx_message req;
        fx_signed_request(&req);
        fapi_http_request rq = req.rq;
        const uint8_t *body = (const uint8_t *)FX_BODY; size_t body_len = strlen(FX_BODY);
        char digest[FAPI_CONTENT_DIGEST_MAX]; size_t digest_len = 0;
        FX_OK(fapi_content_digest_write(FAPI_DIGEST_SHA256, body, body_len, digest, sizeof digest, &digest_len, &err));
        char input[1024], sig[512]; size_t input_len, sig_len;""",
    "fapi_http_sig_verify_request": """
        const fapi_profile *profile = fx_fapi2;
        static fx_message req;
        fx_signed_request(&req);
        fapi_http_request rq = req.rq;
        const uint8_t *body = (const uint8_t *)FX_BODY; size_t body_len = strlen(FX_BODY);
        const char *client_jwks = fx_client_jwks; size_t jwks_len = fx_client_jwks_len;""",
    "fapi_http_sig_verify_response": """
        const fapi_profile *profile = fx_fapi2;
        static fx_message req, res;
        fx_signed_request(&req);
        fx_signed_response(&req, &res);
        fapi_http_request rq = req.rq;
        fapi_http_response rs = res.rs;
        const uint8_t *body = (const uint8_t *)FX_BODY; size_t body_len = strlen(FX_BODY);
        const char *bank_jwks = fx_as_jwks; size_t jwks_len = fx_as_jwks_len;""",
    "fapi_http_sig_signature_base": """
        static fx_message m;
        fx_rfc9421_request(&m);
        fapi_http_request rq = m.rq;""",
    "fapi_id_token_issue": """
        const fapi_profile *profile = fx_fapi2;
        fapi_key *key = fx_as;
        const char *nonce = FX_NONCE, *at = FX_AT; size_t at_len = strlen(at);""",
    "fapi_id_token_verify": """
        const fapi_profile *profile = fx_fapi2;
        fapi_public_key *as_key = fx_as_pub;
        const char *nonce = FX_NONCE, *at = FX_AT; size_t at_len = strlen(at);
        const char *id_token = fx_id_token; size_t id_token_len = fx_id_token_len;""",
    "fapi_jarm_issue": """
        const fapi_profile *profile = fx_fapi2;
        fapi_key *key = fx_as;
        const char *code = FX_CODE, *state = FX_STATE;
        size_t code_len = strlen(code), state_len = strlen(state);""",
    "fapi_jarm_verify": """
        const fapi_profile *profile = fx_fapi2;
        fapi_public_key *as_key = fx_as_pub;
        const char *state = FX_STATE; size_t state_len = strlen(state);
        const char *query = fx_jarm_query; size_t query_len = fx_jarm_query_len;""",
    "fapi_decryption_key_from_pkcs8": """
        const char *pem = RSA_PKCS8_PEM;""",
    "fapi_decryption_key_free": """
        fapi_decryption_key *dk = NULL;
        FX_OK(fapi_decryption_key_from_pkcs8(S_U8(RSA_PKCS8_PEM), &dk, &err));""",
    "fapi_decryption_key_jwk": """
        fapi_decryption_key *dk = fx_dk;""",
    "fapi_jwe_decrypt": """
        const fapi_profile *profile = fx_fapi2;
        fapi_decryption_key *dk = fx_dk;
        fapi_public_key *as_key = fx_as_pub;
        const char *jwe = fx_jwe; size_t jwe_len = fx_jwe_len;
        fapi_id_token_expectations ex = {.issuer = FX_ISSUER, .issuer_len = strlen(FX_ISSUER),
            .client_id = "c1", .client_id_len = 2, .nonce = FX_NONCE, .nonce_len = strlen(FX_NONCE),
            .access_token = FX_AT, .access_token_len = strlen(FX_AT), .leeway = 10, .now = fx_now()};
        char claims[4096]; size_t m;""",
    "fapi_jwe_encrypt": """
        const fapi_profile *profile = fx_fapi2;
        const char *client_jwks = fx_enc_jwks; size_t jwks_len = fx_enc_jwks_len;
        const char *id_token = fx_id_token; size_t id_token_len = fx_id_token_len;""",
    "fapi_jwk_thumbprint": """
        const char *jwk = RFC7638_JWK;""",
    "fapi_jwks_write": """
        fapi_key *current = fx_as, *previous = fx_client;""",
    "fapi_jws_sign": """
        fapi_key *key = fx_as;
        const uint8_t *payload = (const uint8_t *)"{\\"hello\\":\\"world\\"}"; size_t payload_len = 17;""",
    "fapi_jws_verify": """
        fapi_public_key *pub = fx_as_pub;
        char jws[2048]; size_t jws_len = fx_jwt(jws, sizeof jws);""",
    "fapi_jwt_verify": """
        fapi_public_key *pub = fx_as_pub;
        char jwt[2048]; size_t jwt_len = fx_jwt(jwt, sizeof jwt);""",
    "fapi_key_generate": "",
    "fapi_key_from_pkcs8": """
        const char *pem = P256_PEM;""",
    "fapi_key_from_jwk": """
        const char *jwk = RFC8037_PRIVATE_JWK;""",
    "fapi_key_from_pkcs11_uri": """
        if (!fx_hsm()) { printf("  (no SoftHSM2 token: skipped)\\n"); return; }
        char uri[2048];
        snprintf(uri, sizeof uri, "pkcs11:token=%s;object=%s?module-path=%s&pin-value=%s",
                 fx_env("FAPI_PKCS11_TOKEN"), fx_env("FAPI_CAPI_HSM_KEY"),
                 fx_env("FAPI_PKCS11_MODULE"), fx_env("FAPI_PKCS11_PIN"));""",
    "fapi_key_from_pkcs11": """
        if (!fx_hsm()) { printf("  (no SoftHSM2 token: skipped)\\n"); return; }
        const char *module = fx_env("FAPI_PKCS11_MODULE"), *token = fx_env("FAPI_PKCS11_TOKEN"),
                   *label = fx_env("FAPI_CAPI_HSM_KEY"), *pin = fx_env("FAPI_PKCS11_PIN");""",
    "fapi_key_free": """
        fapi_key *key = NULL;
        FX_OK(fapi_key_generate(FAPI_ALG_ES256, &key, &err));""",
    "fapi_key_alg": """
        fapi_key *key = fx_as;""",
    "fapi_key_id": """
        fapi_key *key = fx_as;""",
    "fapi_key_public": """
        fapi_key *key = fx_as;""",
    "fapi_public_key_from_jwk": """
        const char *jwk = fx_as_jwk;""",
    "fapi_public_key_jwk": """
        fapi_public_key *pub = fx_as_pub;""",
    "fapi_public_key_verify": """
        fapi_public_key *pub = NULL;
        FX_OK(fapi_public_key_from_jwk(S(RFC9421_ED25519_PUBLIC_JWK), &pub, &err));
        const uint8_t *base = (const uint8_t *)RFC9421_B26_BASE; size_t base_len = strlen(RFC9421_B26_BASE);
        const uint8_t *sig = RFC9421_B26_SIG;""",
    "fapi_pkce_pair": "",
    "fapi_pkce_challenge": "",
    "fapi_pkce_verify": """
        const char *verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"; size_t verifier_len = 43;
        const char *stored_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";""",
    "fapi_profile_get": "",
    "fapi_replay_cache_new": "",
    "fapi_result_name": "",
    "fapi_result_oauth_error": "",
    "fapi_access_token_issue": """
        const fapi_profile *profile = fx_fapi2;
        fapi_key *key = fx_as;
        fapi_verified_dpop_proof *verified_proof = fx_verified_proof();""",
    "fapi_access_token_verify": """
        const fapi_profile *profile = fx_fapi2;
        fapi_public_key *as_key = fx_as_pub;
        fapi_replay_cache *jtis = fx_jtis;
        char token[4096]; size_t token_len = fx_token(token, sizeof token);
        const char *uri = FX_RESOURCE;
        char dpop_header[2048];
        size_t dpop_len = fx_proof(fx_client, "GET", FX_RESOURCE, token, token_len, dpop_header, sizeof dpop_header);""",
    "fapi_key_set_from_jwks": """
        const char *jwks = fx_as_jwks;""",
    "fapi_key_set_len": """
        fapi_key_set *issuer_keys = NULL;
        FX_OK(fapi_key_set_from_jwks(fx_as_jwks, fx_as_jwks_len, &issuer_keys, &err));""",
    "fapi_key_set_free": """
        fapi_key_set *issuer_keys = NULL;
        FX_OK(fapi_key_set_from_jwks(fx_as_jwks, fx_as_jwks_len, &issuer_keys, &err));""",
    "fapi_key_set_jwt_verify": """
        fapi_key_set *issuer_keys = NULL;
        FX_OK(fapi_key_set_from_jwks(fx_as_jwks, fx_as_jwks_len, &issuer_keys, &err));
        char jwt[2048]; size_t jwt_len = fx_jwt(jwt, sizeof jwt);""",
    "fapi_key_set_access_token_verify": """
        const fapi_profile *profile = fx_fapi2;
        fapi_key_set *issuer_keys = NULL;
        FX_OK(fapi_key_set_from_jwks(fx_as_jwks, fx_as_jwks_len, &issuer_keys, &err));
        fapi_replay_cache *jtis = fx_jtis;
        char token[4096]; size_t token_len = fx_token(token, sizeof token);
        const char *uri = FX_RESOURCE;
        char dpop_header[2048];
        size_t dpop_len = fx_proof(fx_client, "GET", FX_RESOURCE, token, token_len, dpop_header, sizeof dpop_header);""",
}


def examples(header):
    """(documented name, code) of each ```c block, in header order."""
    lines = header.split("\n")
    out = []
    i = 0
    while i < len(lines):
        if lines[i].strip() == "// ```c":
            j = i + 1
            block = []
            while lines[j].strip() != "// ```":
                text = lines[j].strip()
                block.append(text[3:] if text.startswith("// ") else text[2:])
                j += 1
            k = j
            name = None
            while k < len(lines) and name is None:
                m = re.match(r"^(?:typedef struct (\w+)|.*?\b(fapi_\w+)\()", lines[k])
                if m and not lines[k].startswith("//"):
                    name = m.group(1) or m.group(2)
                k += 1
            out.append((name, "\n".join(block)))
            i = j
        i += 1
    return out


def main():
    header, target = sys.argv[1], sys.argv[2]
    found = examples(open(header, encoding="utf-8").read())
    missing = [name for name, _ in found if name not in PRELUDE]
    if missing:
        sys.exit(f"header_examples.py: no prelude for the example of {', '.join(missing)}")
    parts = [
        "/* Generated by bindings/c/tests/header_examples.py from include/fapi.h. */",
        '#include "examples_fixture.h"',
        "",
    ]
    for n, (name, code) in enumerate(found):
        body = "\n".join("        " + line for line in code.split("\n"))
        parts.append(f"/* the example of {name} */")
        parts.append(f"static void example_{n}(void) {{{PRELUDE[name]}")
        parts.append("    {")
        parts.append(body)
        parts.append("    }")
        parts.append("}")
        parts.append("")
    parts.append("int main(void) {")
    parts.append("    fx_setup();")
    for n, (name, _) in enumerate(found):
        parts.append(f'    printf("example {n}: {name}\\n");')
        parts.append("    msg[0] = '\\0';")
        parts.append(f"    example_{n}();")
        parts.append("    if (msg[0] != '\\0') {")
        parts.append(f'        fprintf(stderr, "example of {name}: %s (%s)\\n", msg, oauth);')
        parts.append("        failed++;")
        parts.append("    } else {")
        parts.append("        passed++;")
        parts.append("    }")
    parts.append('    return finish("header examples");')
    parts.append("}")
    open(target, "w", encoding="utf-8").write("\n".join(parts) + "\n")
    print(f"header_examples.py: {len(found)} examples -> {target}")


if __name__ == "__main__":
    main()
