/* Known answers and test keys for the fapi C tests. */
#ifndef FAPI_TEST_VECTORS_H
#define FAPI_TEST_VECTORS_H

#include <stdint.h>

/* RFC 7636 Appendix B. */
#define RFC7636_VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define RFC7636_CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

/* RFC 7638 §3.1: the RSA key and its thumbprint. */
#define RFC7638_JWK                                                                          \
    "{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86z" \
    "wu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6" \
    "Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD0" \
    "8qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKn" \
    "qDKgw\",\"e\":\"AQAB\",\"kid\":\"2011-04-29\"}"
#define RFC7638_THUMBPRINT "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"

/* RFC 8037 A.1 to A.5: the Ed25519 key, its thumbprint, the A.4 JWS. */
#define RFC8037_PRIVATE_JWK                                                   \
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\","                                   \
    "\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\","                  \
    "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}"
#define RFC8037_PUBLIC_JWK \
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}"
#define RFC8037_THUMBPRINT "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
#define RFC8037_JWS                                                                     \
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-" \
    "09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
#define RFC8037_PAYLOAD "Example of Ed25519 signing"

/* RFC 9449 §4.1 Figure 2: a DPoP proof for POST https://server.example.com/token
 * at iat 1562262616, and the thumbprint of its key. */
#define RFC9449_PROOF                                                                          \
    "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0" \
    "VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10" \
    "NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoi" \
    "UE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-" \
    "GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg"
#define RFC9449_IAT 1562262616u
#define RFC9449_JKT "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"

/* A P-256 test key made with `openssl genpkey -algorithm EC -pkeyopt
 * ec_paramgen_curve:P-256`; its RFC 7638 thumbprint computed independently
 * (openssl's public point, Python's hashlib on the canonical JSON). It
 * protects nothing. */
#define P256_PEM                                                          \
    "-----BEGIN PRIVATE KEY-----\n"                                       \
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgnXwgUhPuRY8+r0P9\n" \
    "ao5cEvkO852pWuY3TzZ3wdNMbNWhRANCAAT+Ak07VbhoKNuodgxWwBHhl5Z7F08w\n" \
    "8ImzJdf403KOtpQuh/Js8ojuTSTedI1MkGaMHoGQ2qOVahXDHiRmRIsY\n"         \
    "-----END PRIVATE KEY-----\n"
#define P256_THUMBPRINT "mQ9kmtQYVt5Bbp4TT2ZV17UPo3pEp7aWC5Oxm2Yr5NY"
#define P256_X "_gJNO1W4aCjbqHYMVsAR4ZeWexdPMPCJsyXX-NNyjrY"
#define P256_Y "lC6H8mzyiO5NJN50jUyQZowegZDao5VqFcMeJGZEixg"
#define P256_D "nXwgUhPuRY8-r0P9ao5cEvkO852pWuY3TzZ3wdNMbNU"
static const uint8_t P256_PKCS8_DER[] = {
    0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
    0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x6d, 0x30,
    0x6b, 0x02, 0x01, 0x01, 0x04, 0x20, 0x9d, 0x7c, 0x20, 0x52, 0x13, 0xee, 0x45, 0x8f, 0x3e,
    0xaf, 0x43, 0xfd, 0x6a, 0x8e, 0x5c, 0x12, 0xf9, 0x0e, 0xf3, 0x9d, 0xa9, 0x5a, 0xe6, 0x37,
    0x4f, 0x36, 0x77, 0xc1, 0xd3, 0x4c, 0x6c, 0xd5, 0xa1, 0x44, 0x03, 0x42, 0x00, 0x04, 0xfe,
    0x02, 0x4d, 0x3b, 0x55, 0xb8, 0x68, 0x28, 0xdb, 0xa8, 0x76, 0x0c, 0x56, 0xc0, 0x11, 0xe1,
    0x97, 0x96, 0x7b, 0x17, 0x4f, 0x30, 0xf0, 0x89, 0xb3, 0x25, 0xd7, 0xf8, 0xd3, 0x72, 0x8e,
    0xb6, 0x94, 0x2e, 0x87, 0xf2, 0x6c, 0xf2, 0x88, 0xee, 0x4d, 0x24, 0xde, 0x74, 0x8d, 0x4c,
    0x90, 0x66, 0x8c, 0x1e, 0x81, 0x90, 0xda, 0xa3, 0x95, 0x6a, 0x15, 0xc3, 0x1e, 0x24, 0x66,
    0x44, 0x8b, 0x18};

/* An Ed25519 test key (openssl genpkey -algorithm ED25519) and its
 * independently computed thumbprint. */
#define ED25519_PEM                                                       \
    "-----BEGIN PRIVATE KEY-----\n"                                       \
    "MC4CAQAwBQYDK2VwBCIEIEfP7tXuNpWRcy/nwVrNezmVGCeXg/mPEB0I2CLidqnk\n" \
    "-----END PRIVATE KEY-----\n"
#define ED25519_THUMBPRINT "Wt4_DY-4-wWvxLNMa6GVzCFDAXQ6X28TfBkC_5rAmXo"

/* A P-384 key: outside F2-ALG. */
#define P384_PEM                                                          \
    "-----BEGIN PRIVATE KEY-----\n"                                       \
    "MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDDlvQDRK6RkJ5EYscMM\n" \
    "zj+eOJEOu92xeZSzs6yk6kXSxdpAjx4a6zKNw1gn9WqWvvChZANiAAQZ6+9veb3g\n" \
    "MNNu4yAwF/xWYIbP/SsgaNmH9DXmRjMt0/+2cWtTTsINfKDKDnyUBlxX/kKv1VMp\n" \
    "8frOwfSqo3jI/SPyv8OBLbpOuplDMJ191mt3xJqYzxtxhIZ3AQ8VLnY=\n"         \
    "-----END PRIVATE KEY-----\n"

#endif
