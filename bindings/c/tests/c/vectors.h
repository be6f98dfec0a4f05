/* Known answers and test keys for the fapi C tests. */
#ifndef FAPI_TEST_VECTORS_H
#define FAPI_TEST_VECTORS_H

#include <stdint.h>

/* RFC 7636 Appendix B. */
#define RFC7636_VERIFIER "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define RFC7636_CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

/* RFC 7638 §3.1: the RSA key and its thumbprint; the key as the RFC prints
 * it, with "alg":"RS256", and without its "alg". */
#define RFC7638_N                                                                            \
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86z"                     \
    "wu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6" \
    "Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD0" \
    "8qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKn" \
    "qDKgw"
#define RFC7638_JWK "{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\",\"kid\":\"2011-04-29\"}"
#define RFC7638_JWK_AS_PRINTED                                                 \
    "{\"kty\":\"RSA\",\"n\":\"" RFC7638_N "\",\"e\":\"AQAB\",\"alg\":\"RS256\"," \
    "\"kid\":\"2011-04-29\"}"
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
/* The same key as SEC1 (RFC 5915), written by `openssl ec` (OpenSSL 3.0). */
#define P256_SEC1_PEM                                                     \
    "-----BEGIN EC PRIVATE KEY-----\n"                                    \
    "MHcCAQEEIJ18IFIT7kWPPq9D/WqOXBL5DvOdqVrmN082d8HTTGzVoAoGCCqGSM49\n" \
    "AwEHoUQDQgAE/gJNO1W4aCjbqHYMVsAR4ZeWexdPMPCJsyXX+NNyjraULofybPKI\n" \
    "7k0k3nSNTJBmjB6BkNqjlWoVwx4kZkSLGA==\n"                             \
    "-----END EC PRIVATE KEY-----\n"
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

/* An RSA-2048 test key (openssl genpkey -algorithm RSA), as PKCS#8 PEM, as
 * PKCS#1 PEM (openssl rsa -traditional) and as a private JWK (its members
 * read from `openssl pkey -text`), with its thumbprint computed
 * independently (Python's hashlib on the RFC 7638 canonical JSON). It
 * protects nothing. */
#define RSA_PKCS8_PEM \
    "-----BEGIN PRIVATE KEY-----\n" \
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC8rBw76ppvCLjQ\n" \
    "yA/kP+OA9gx+JB7FrQ4TYJHp9v/wFrJ+yeMB0jqH4mIzQXKIsOSmt1JwwpWHIquy\n" \
    "DtAryGJ5hFRDSuoI5Xl3oUDP2iOgTmzEyNiLK+DIp9aDhru/DWCdUg8OhfWw0+1y\n" \
    "jJJJj50AFLlPdGoY0YazGEX/WEdf7o1C67Ig1iXUU6hprC+RzNYdrU58U+nLqK1N\n" \
    "XRG9cHBJMIX2VYoQ1NwOj9RCrbJJeGtbfgl/PoTqCVAgKhUW9nSDF5JNwbMGTvnq\n" \
    "QKr4tKtALFD/76oeDderW2laMP8cvZwgKnxWZK/uIRr1VhaLVN/rdLLh8fCHu+K+\n" \
    "COABbpyzAgMBAAECggEAAfCbv7VLTjNJly1KFd+JoB9SLzqBgyh4LxR8m5UPD5xk\n" \
    "IcVDS2xVGWWR+z3uhrTu55SV8+ku7rtEBv97qMpAJ54H3G3uQcDTmA/KjKM3tOO+\n" \
    "3uJucOE2x/QLKBdgDHhU6HkvWh0K0tJzAWJW9LZVzRTpd4WBERftFHVTmZWs8jG2\n" \
    "ATUn/rE/Sz6GY2N3teYQ6O2U/0RSLYmT6s9MnSV8k3rkZiuOFO4ZCURBlN8g4t2G\n" \
    "6FiRhuwhus3g8KrKo/+KgAaUJtTFw6W7Bp60VFVXLl7f1jiIDeiGm+5h3rDYSqqP\n" \
    "MK5gSt0uw2Kgm89YqOcTbNvyOrPA4nZmH8kG4Y8xVQKBgQDyhPY16N7qjTzBfRoZ\n" \
    "/jiu75WByo+8o4bMNFRU/z7vepVNGUHF468CeObK4H6L/29vLLZ9mzmjECJjDTsx\n" \
    "nGYBN7Ps0cyYKigKb+xhVMd9F7YZ0fhfjD4IbIGF0c4auLI29+Dnn4HaCbOm+y+Q\n" \
    "jHqKrxc0ay/RnimLfeuVXx8VvwKBgQDHKOhNGm4mgx8lhDY7zw6fPFfH0BofJ1a0\n" \
    "b+OpQt9bVa2xpzW8hThaHGtbpm0KjsUAyjzMetlCwQoqWYJuq9ItLLZ2ye6sZe/Y\n" \
    "XBoNmWoKXaEBAWA7xpbxM3T4VkhOANEBhy2KXY1OXPc8+fpGVA3wtZtzMzP/zcsa\n" \
    "9ru3cnn+DQKBgQDMI0mQNVW2f259vA1Fhe02q2rglp4I/mkP6Jh392aFdFzKShFI\n" \
    "Po/o99XlPbSnqTqmjS+LaSbJ8GHRmKiT6P8f1UB5flvGVe3gYzfI8fD9hgD9mPWF\n" \
    "j+oDczpPZzwi2AcDKAHDVkuaOgJj8xmlhen8ZMeWkwbsXkLALR0pXakvxwKBgCq4\n" \
    "gawYYUxtj/7SL3gA4FgT75hy8UeBfr3RynoCWDsVU97pyUMZKI9bzUOpnXZITcXv\n" \
    "m78ZEwWYtv+Cl9H5lWoPT0yH4GSmsR4uE4CbSf3TO7glfWkVHke7C/pBN91Tm4HC\n" \
    "Z2hozOjkVDyGOsNfQGZD7oZ1k0/p6wlrp7SgH775AoGAXiFHcy/6r1hfBUqaHTS2\n" \
    "WQWnuza4dheyfM+SG06D66xdYzCJjYcOcqU/h2WDYSLi98jwh5eGSXnVEYzHnscH\n" \
    "n6wERzG2haNNjfUpToSaOImwsIH/Jq4wgyMKAeyGbuKu5kiKPkb8gpcd8mQAHxuL\n" \
    "sfZ3FzE3vblqDUaP9XqUgDc=\n" \
    "-----END PRIVATE KEY-----\n"
#define RSA_PKCS1_PEM \
    "-----BEGIN RSA PRIVATE KEY-----\n" \
    "MIIEowIBAAKCAQEAvKwcO+qabwi40MgP5D/jgPYMfiQexa0OE2CR6fb/8Bayfsnj\n" \
    "AdI6h+JiM0FyiLDkprdScMKVhyKrsg7QK8hieYRUQ0rqCOV5d6FAz9ojoE5sxMjY\n" \
    "iyvgyKfWg4a7vw1gnVIPDoX1sNPtcoySSY+dABS5T3RqGNGGsxhF/1hHX+6NQuuy\n" \
    "INYl1FOoaawvkczWHa1OfFPpy6itTV0RvXBwSTCF9lWKENTcDo/UQq2ySXhrW34J\n" \
    "fz6E6glQICoVFvZ0gxeSTcGzBk756kCq+LSrQCxQ/++qHg3Xq1tpWjD/HL2cICp8\n" \
    "VmSv7iEa9VYWi1Tf63Sy4fHwh7vivgjgAW6cswIDAQABAoIBAAHwm7+1S04zSZct\n" \
    "ShXfiaAfUi86gYMoeC8UfJuVDw+cZCHFQ0tsVRllkfs97oa07ueUlfPpLu67RAb/\n" \
    "e6jKQCeeB9xt7kHA05gPyoyjN7Tjvt7ibnDhNsf0CygXYAx4VOh5L1odCtLScwFi\n" \
    "VvS2Vc0U6XeFgREX7RR1U5mVrPIxtgE1J/6xP0s+hmNjd7XmEOjtlP9EUi2Jk+rP\n" \
    "TJ0lfJN65GYrjhTuGQlEQZTfIOLdhuhYkYbsIbrN4PCqyqP/ioAGlCbUxcOluwae\n" \
    "tFRVVy5e39Y4iA3ohpvuYd6w2EqqjzCuYErdLsNioJvPWKjnE2zb8jqzwOJ2Zh/J\n" \
    "BuGPMVUCgYEA8oT2Neje6o08wX0aGf44ru+VgcqPvKOGzDRUVP8+73qVTRlBxeOv\n" \
    "AnjmyuB+i/9vbyy2fZs5oxAiYw07MZxmATez7NHMmCooCm/sYVTHfRe2GdH4X4w+\n" \
    "CGyBhdHOGriyNvfg55+B2gmzpvsvkIx6iq8XNGsv0Z4pi33rlV8fFb8CgYEAxyjo\n" \
    "TRpuJoMfJYQ2O88OnzxXx9AaHydWtG/jqULfW1Wtsac1vIU4WhxrW6ZtCo7FAMo8\n" \
    "zHrZQsEKKlmCbqvSLSy2dsnurGXv2FwaDZlqCl2hAQFgO8aW8TN0+FZITgDRAYct\n" \
    "il2NTlz3PPn6RlQN8LWbczMz/83LGva7t3J5/g0CgYEAzCNJkDVVtn9ufbwNRYXt\n" \
    "Nqtq4JaeCP5pD+iYd/dmhXRcykoRSD6P6PfV5T20p6k6po0vi2kmyfBh0Ziok+j/\n" \
    "H9VAeX5bxlXt4GM3yPHw/YYA/Zj1hY/qA3M6T2c8ItgHAygBw1ZLmjoCY/MZpYXp\n" \
    "/GTHlpMG7F5CwC0dKV2pL8cCgYAquIGsGGFMbY/+0i94AOBYE++YcvFHgX690cp6\n" \
    "Alg7FVPe6clDGSiPW81DqZ12SE3F75u/GRMFmLb/gpfR+ZVqD09Mh+BkprEeLhOA\n" \
    "m0n90zu4JX1pFR5Huwv6QTfdU5uBwmdoaMzo5FQ8hjrDX0BmQ+6GdZNP6esJa6e0\n" \
    "oB+++QKBgF4hR3Mv+q9YXwVKmh00tlkFp7s2uHYXsnzPkhtOg+usXWMwiY2HDnKl\n" \
    "P4dlg2Ei4vfI8IeXhkl51RGMx57HB5+sBEcxtoWjTY31KU6EmjiJsLCB/yauMIMj\n" \
    "CgHshm7iruZIij5G/IKXHfJkAB8bi7H2dxcxN725ag1Gj/V6lIA3\n" \
    "-----END RSA PRIVATE KEY-----\n"
#define RSA_PRIVATE_JWK \
    "{\"kty\":\"RSA\",\"n\":\"vKwcO-qabwi40MgP5D_jgPYMfiQexa0OE2CR6fb_8BayfsnjAdI6h-JiM0FyiLDkp" \
    "rdScMKVhyKrsg7QK8hieYRUQ0rqCOV5d6FAz9ojoE5sxMjYiyvgyKfWg4a7vw1gnVIPDoX1sNPtcoySSY-dABS5T3R" \
    "qGNGGsxhF_1hHX-6NQuuyINYl1FOoaawvkczWHa1OfFPpy6itTV0RvXBwSTCF9lWKENTcDo_UQq2ySXhrW34Jfz6E6" \
    "glQICoVFvZ0gxeSTcGzBk756kCq-LSrQCxQ_--qHg3Xq1tpWjD_HL2cICp8VmSv7iEa9VYWi1Tf63Sy4fHwh7vivgj" \
    "gAW6csw\",\"e\":\"AQAB\",\"d\":\"AfCbv7VLTjNJly1KFd-JoB9SLzqBgyh4LxR8m5UPD5xkIcVDS2xVGWWR-" \
    "z3uhrTu55SV8-ku7rtEBv97qMpAJ54H3G3uQcDTmA_KjKM3tOO-3uJucOE2x_QLKBdgDHhU6HkvWh0K0tJzAWJW9LZ" \
    "VzRTpd4WBERftFHVTmZWs8jG2ATUn_rE_Sz6GY2N3teYQ6O2U_0RSLYmT6s9MnSV8k3rkZiuOFO4ZCURBlN8g4t2G6" \
    "FiRhuwhus3g8KrKo_-KgAaUJtTFw6W7Bp60VFVXLl7f1jiIDeiGm-5h3rDYSqqPMK5gSt0uw2Kgm89YqOcTbNvyOrP" \
    "A4nZmH8kG4Y8xVQ\",\"p\":\"8oT2Neje6o08wX0aGf44ru-VgcqPvKOGzDRUVP8-73qVTRlBxeOvAnjmyuB-i_9v" \
    "byy2fZs5oxAiYw07MZxmATez7NHMmCooCm_sYVTHfRe2GdH4X4w-CGyBhdHOGriyNvfg55-B2gmzpvsvkIx6iq8XNG" \
    "sv0Z4pi33rlV8fFb8\",\"q\":\"xyjoTRpuJoMfJYQ2O88OnzxXx9AaHydWtG_jqULfW1Wtsac1vIU4WhxrW6ZtCo" \
    "7FAMo8zHrZQsEKKlmCbqvSLSy2dsnurGXv2FwaDZlqCl2hAQFgO8aW8TN0-FZITgDRAYctil2NTlz3PPn6RlQN8LWb" \
    "czMz_83LGva7t3J5_g0\",\"dp\":\"zCNJkDVVtn9ufbwNRYXtNqtq4JaeCP5pD-iYd_dmhXRcykoRSD6P6PfV5T2" \
    "0p6k6po0vi2kmyfBh0Ziok-j_H9VAeX5bxlXt4GM3yPHw_YYA_Zj1hY_qA3M6T2c8ItgHAygBw1ZLmjoCY_MZpYXp_" \
    "GTHlpMG7F5CwC0dKV2pL8c\",\"dq\":\"KriBrBhhTG2P_tIveADgWBPvmHLxR4F-vdHKegJYOxVT3unJQxkoj1vN" \
    "Q6mddkhNxe-bvxkTBZi2_4KX0fmVag9PTIfgZKaxHi4TgJtJ_dM7uCV9aRUeR7sL-kE33VObgcJnaGjM6ORUPIY6w1" \
    "9AZkPuhnWTT-nrCWuntKAfvvk\",\"qi\":\"XiFHcy_6r1hfBUqaHTS2WQWnuza4dheyfM-SG06D66xdYzCJjYcOc" \
    "qU_h2WDYSLi98jwh5eGSXnVEYzHnscHn6wERzG2haNNjfUpToSaOImwsIH_Jq4wgyMKAeyGbuKu5kiKPkb8gpcd8mQ" \
    "AHxuLsfZ3FzE3vblqDUaP9XqUgDc\"}"
#define RSA_THUMBPRINT "D_QuazKjNoeM1YlShpczidcABuOZi-MdNfG_BkqBqRE"

#endif
