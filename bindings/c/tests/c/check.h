/* A minimal test harness for the fapi C tests: each CHECK counts, a
 * failure prints its line and the call's message, and the program ends
 * with "N passed, N failed" and a non-zero status on any failure. */
#ifndef FAPI_TEST_CHECK_H
#define FAPI_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fapi.h"

static int passed, failed;
static char msg[FAPI_ERROR_MESSAGE_MAX];
static char oauth[FAPI_OAUTH_ERROR_MAX];
static fapi_error_detail err = {msg, sizeof msg, oauth, sizeof oauth};

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) {                                                          \
            passed++;                                                        \
        } else {                                                             \
            failed++;                                                        \
            fprintf(stderr, "%s:%d: CHECK(%s) failed [%s | %s]\n", __FILE__, \
                    __LINE__, #cond, msg, oauth);                            \
        }                                                                    \
    } while (0)

/* The call returns `code`. */
#define CHECK_CODE(call, code)                                                   \
    do {                                                                         \
        fapi_result r_ = (call);                                                 \
        if (r_ == (fapi_result)(code)) {                                         \
            passed++;                                                            \
        } else {                                                                 \
            failed++;                                                            \
            fprintf(stderr, "%s:%d: %s returned %u, expected %s (%u) [%s | %s]\n", \
                    __FILE__, __LINE__, #call, (unsigned)r_, #code,             \
                    (unsigned)(code), msg, oauth);                              \
        }                                                                        \
    } while (0)

#define CHECK_OK(call) CHECK_CODE(call, FAPI_OK)

/* The call returns `code` and the OAuth error `oauth_error`. */
#define CHECK_REFUSED(call, code, oauth_error)                 \
    do {                                                       \
        CHECK_CODE(call, code);                                \
        CHECK(strcmp(oauth, (oauth_error)) == 0);              \
        CHECK(msg[0] != '\0');                                 \
    } while (0)

#define S(lit) (lit), (sizeof(lit) - 1)
#define S_U8(lit) ((const uint8_t *)(lit)), (sizeof(lit) - 1)

static int finish(const char *name) {
    printf("%s: %d passed, %d failed\n", name, passed, failed);
    return failed == 0 ? 0 : 1;
}

#endif
