/* The thread-safety the header documents: one replay cache shared by two
 * threads that race to verify the same DPoP proof (exactly one wins, the
 * other gets FAPI_REPLAY), and one key and one public key shared by
 * threads that issue and verify access tokens at once. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>

#include "check.h"

#define NOW 1900000000u
#define TOKEN_URI "https://as.bank.example/token"
#define RACES 200
#define ISSUES 50

static const fapi_profile *fapi2;
static fapi_replay_cache *cache;
static fapi_key *as_key;
static fapi_public_key *as_pub;
static fapi_verified_dpop_proof *bound;
static pthread_barrier_t barrier;
static char proof[RACES][1024];
static size_t proof_len[RACES];
static fapi_result race_result[2][RACES];

struct worker {
    int id;
    int failures;
};

static void *race(void *arg) {
    struct worker *w = arg;
    fapi_dpop_request req = {S("POST"), S(TOKEN_URI), NULL, 0, NULL, NULL, 0};
    for (int i = 0; i < RACES; i++) {
        char jkt[64];
        size_t n = 0;
        pthread_barrier_wait(&barrier);
        race_result[w->id][i] = fapi_dpop_proof_verify(fapi2, proof[i], proof_len[i], &req, cache,
                                                       NOW, jkt, sizeof jkt, &n, NULL, NULL);
    }
    return NULL;
}

static void *issue_and_verify(void *arg) {
    struct worker *w = arg;
    fapi_access_token_params tp = {S("https://as.bank.example"), S("alice"),
                                   S("https://api.bank.example"), S("fintech-1"), NULL, 0, NOW,
                                   300, bound, NULL, 0, NULL, 0};
    fapi_jwt_expectations ex = {S("at+jwt"), S("https://as.bank.example"),
                                S("https://api.bank.example"), NOW, 10};
    fapi_alg es256[] = {FAPI_ALG_ES256};
    for (int i = 0; i < ISSUES; i++) {
        char token[2048], claims[2048];
        size_t tn = 0, cn = 0;
        if (fapi_access_token_issue(fapi2, as_key, &tp, token, sizeof token, &tn, NULL) != FAPI_OK ||
            fapi_jwt_verify(token, tn, as_pub, es256, 1, &ex, claims, sizeof claims, &cn, NULL) !=
                FAPI_OK)
            w->failures++;
    }
    return NULL;
}

int main(void) {
    CHECK_OK(fapi_profile_get(S("fapi2"), &fapi2, &err));
    CHECK_OK(fapi_replay_cache_new(4096, &cache, &err));
    fapi_key *client = NULL;
    CHECK_OK(fapi_key_generate(FAPI_ALG_ES256, &client, &err));
    fapi_dpop_proof_params pp = {S("POST"), S(TOKEN_URI), NOW, NULL, 0, NULL, 0};
    for (int i = 0; i < RACES; i++)
        CHECK_OK(fapi_dpop_proof_create(client, &pp, proof[i], sizeof proof[i], &proof_len[i], &err));

    /* two threads, the same proof, one shared cache: exactly one wins */
    pthread_barrier_init(&barrier, NULL, 2);
    pthread_t t[2];
    struct worker w[2] = {{0, 0}, {1, 0}};
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, race, &w[i]);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&barrier);
    int one_winner = 0;
    for (int i = 0; i < RACES; i++) {
        fapi_result a = race_result[0][i], b = race_result[1][i];
        if ((a == FAPI_OK && b == FAPI_REPLAY) || (a == FAPI_REPLAY && b == FAPI_OK)) one_winner++;
    }
    CHECK(one_winner == RACES);

    /* one key, one public key, two threads issuing and verifying */
    CHECK_OK(fapi_key_generate(FAPI_ALG_ES256, &as_key, &err));
    CHECK_OK(fapi_key_public(as_key, &as_pub, &err));
    char jkt[64];
    size_t jn = 0;
    CHECK_OK(fapi_dpop_proof_create(client, &pp, proof[0], sizeof proof[0], &proof_len[0], &err));
    fapi_dpop_request req = {S("POST"), S(TOKEN_URI), NULL, 0, NULL, NULL, 0};
    CHECK_OK(fapi_dpop_proof_verify(fapi2, proof[0], proof_len[0], &req, cache, NOW, jkt,
                                    sizeof jkt, &jn, &bound, &err));
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, issue_and_verify, &w[i]);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    CHECK(w[0].failures == 0 && w[1].failures == 0);

    fapi_verified_dpop_proof_free(bound);
    fapi_public_key_free(as_pub);
    fapi_key_free(as_key);
    fapi_key_free(client);
    fapi_replay_cache_free(cache);
    return finish("test_threads");
}
