/* An authorization server's token endpoint, in C: it verifies the client's
 * DPoP proof and issues an access token bound to the proof's key.
 *
 *   cc -std=c99 as_issue_dpop.c $(pkg-config --cflags --libs fapi) -o as_issue_dpop
 *   ./as_issue_dpop                     # a software key, generated at start
 *   ./as_issue_dpop as-key.pem          # a software key from a PEM file (PKCS#8, SEC1)
 *   ./as_issue_dpop 'pkcs11:token=fapi;object=as-signing?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=...'
 *                                       # a key that never leaves the HSM
 *
 * The signing code is the same for the three: only the loading differs.
 * bindings/c/README.md sets up a SoftHSM2 token for the third, step by step.
 *
 * The client's half (its key and proof) is made here too, so that the
 * program runs alone; a real server receives the proof in the DPoP header.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <fapi.h>

#define TOKEN_ENDPOINT "https://as.bank.example/token"

static char msg[FAPI_ERROR_MESSAGE_MAX], oauth[FAPI_OAUTH_ERROR_MAX];
static fapi_error_detail err = {msg, sizeof msg, oauth, sizeof oauth};

static int fail(const char *what) {
    /* `oauth` is what the token endpoint answers: {"error": "<oauth>"} */
    fprintf(stderr, "%s: %s (%s)\n", what, msg, oauth);
    return 1;
}

/* The client: a DPoP key and a proof for POST /token. */
static int client_proof(fapi_key **client, char *proof, size_t cap, size_t *len) {
    if (fapi_key_generate(FAPI_ALG_ES256, client, &err) != FAPI_OK) return fail("client key");
    fapi_dpop_proof_params p = {"POST", 4, TOKEN_ENDPOINT, strlen(TOKEN_ENDPOINT),
                                (uint64_t)time(NULL), NULL, 0, NULL, 0};
    if (fapi_dpop_proof_create(*client, &p, proof, cap, len, &err) != FAPI_OK)
        return fail("client proof");
    return 0;
}

/* The AS key: generated (no argument), a PEM file, or a PKCS#11 URI. */
static fapi_result load_as_key(const char *arg, fapi_key **key) {
    if (arg == NULL) return fapi_key_generate(FAPI_ALG_ES256, key, &err);
    if (strncmp(arg, "pkcs11:", 7) == 0) return fapi_key_from_pkcs11_uri(arg, strlen(arg), key, &err);
    FILE *f = fopen(arg, "rb");
    if (f == NULL) {
        snprintf(msg, sizeof msg, "cannot open %s", arg);
        return FAPI_INVALID_ARGUMENT;
    }
    static uint8_t pem[16384];
    size_t n = fread(pem, 1, sizeof pem, f);
    fclose(f);
    fapi_result r = fapi_key_from_pkcs8(pem, n, key, &err);
    memset(pem, 0, sizeof pem); /* the private key, erased */
    return r;
}

int main(int argc, char **argv) {
    if (argc > 2) {
        fprintf(stderr, "usage: %s [KEY.pem | PKCS11-URI]\n", argv[0]);
        return 2;
    }
    fapi_key *client = NULL;
    char proof[4096];
    size_t proof_len = 0;
    if (client_proof(&client, proof, sizeof proof, &proof_len) != 0) return 1;

    /* --- the authorization server ------------------------------------- */
    const fapi_profile *profile = NULL;
    fapi_key *as_key = NULL;              /* software or HSM: loaded once */
    fapi_replay_cache *jtis = NULL;       /* shared by every thread */
    fapi_verified_dpop_proof *dpop = NULL;
    int rc = 1;
    if (fapi_profile_get("fapi2", 5, &profile, &err) != FAPI_OK ||
        load_as_key(argc == 2 ? argv[1] : NULL, &as_key) != FAPI_OK ||
        fapi_replay_cache_new(100000, &jtis, &err) != FAPI_OK) {
        fail("setup");
        goto out;
    }

    /* POST /token with a DPoP header: verify the proof (RFC 9449 §4.3). */
    fapi_dpop_request req = {.method = "POST", .method_len = 4,
                             .uri = TOKEN_ENDPOINT, .uri_len = strlen(TOKEN_ENDPOINT)};
    char jkt[64];
    size_t jkt_len = 0;
    if (fapi_dpop_proof_verify(profile, proof, proof_len, &req, jtis, (uint64_t)time(NULL), jkt,
                               sizeof jkt, &jkt_len, &dpop, &err) != FAPI_OK) {
        fail("DPoP proof"); /* 400 {"error":"invalid_dpop_proof"} */
        goto out;
    }

    /* Issue the access token, bound to the proof's key (cnf.jkt). */
    fapi_access_token_params t = {
        .issuer = "https://as.bank.example", .issuer_len = 23,
        .subject = "alice", .subject_len = 5,
        .audience = "https://api.bank.example", .audience_len = 24,
        .client_id = "fintech-1", .client_id_len = 9,
        .scope = "accounts", .scope_len = 8,
        .issued_at = (uint64_t)time(NULL), .lifetime = 300,
        .dpop = dpop,
    };
    char token[4096];
    size_t token_len = 0;
    if (fapi_access_token_issue(profile, as_key, &t, token, sizeof token, &token_len, &err) !=
        FAPI_OK) {
        fail("access token");
        goto out;
    }
    printf("{\"access_token\":\"%.*s\",\"token_type\":\"DPoP\",\"expires_in\":300}\n",
           (int)token_len, token);
    rc = 0;
out:
    fapi_verified_dpop_proof_free(dpop);
    fapi_replay_cache_free(jtis);
    fapi_key_free(as_key);
    fapi_key_free(client);
    return rc;
}
