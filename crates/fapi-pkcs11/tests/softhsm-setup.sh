# shellcheck shell=bash
# Source this file: it gives the fapi-pkcs11 tests a fresh SoftHSM2 token.
#
#   . crates/fapi-pkcs11/tests/softhsm-setup.sh
#
# Installs Debian's softhsm2 when it is missing (as root), writes a
# SOFTHSM2_CONF pointing at a new temporary token directory, initialises
# four tokens (`fapi-test` for the tests, `fapi-reinit` for the test that
# re-initialises a token while it is in use, `fapi-ha-a` and `fapi-ha-b` for
# the HA signing group tests, which hold the same key in both) and exports
# what the tests read: FAPI_PKCS11_MODULE, FAPI_PKCS11_TOKEN, FAPI_PKCS11_PIN,
# FAPI_PKCS11_SO_PIN, FAPI_PKCS11_REINIT_TOKEN, FAPI_PKCS11_HA_TOKENS (the two
# group tokens, space-separated), SOFTHSM2_CONF. Idempotent: each run starts
# over.

fapi_softhsm_setup() {
  local module=${FAPI_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
  if [ ! -e "$module" ] || ! command -v softhsm2-util >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "softhsm-setup: installing softhsm2"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 >/dev/null
    else
      echo "softhsm-setup: softhsm2 is missing and cannot be installed here" >&2
      return 1
    fi
  fi
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/fapi-softhsm.XXXXXX")
  mkdir -p "$dir/tokens"
  cat >"$dir/softhsm2.conf" <<CONF
directories.tokendir = $dir/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
  export SOFTHSM2_CONF="$dir/softhsm2.conf"
  export FAPI_PKCS11_MODULE="$module"
  export FAPI_PKCS11_TOKEN=fapi-test
  export FAPI_PKCS11_REINIT_TOKEN=fapi-reinit
  export FAPI_PKCS11_HA_TOKENS="fapi-ha-a fapi-ha-b"
  export FAPI_PKCS11_PIN=${FAPI_PKCS11_PIN:-fapi-user-4711}
  export FAPI_PKCS11_SO_PIN=${FAPI_PKCS11_SO_PIN:-fapi-so-0815}
  local label
  # shellcheck disable=SC2086 # the group's labels are split on purpose
  for label in "$FAPI_PKCS11_TOKEN" "$FAPI_PKCS11_REINIT_TOKEN" $FAPI_PKCS11_HA_TOKENS; do
    softhsm2-util --init-token --free --label "$label" \
      --pin "$FAPI_PKCS11_PIN" --so-pin "$FAPI_PKCS11_SO_PIN" >/dev/null
  done
  echo "softhsm-setup: tokens $FAPI_PKCS11_TOKEN, $FAPI_PKCS11_REINIT_TOKEN and $FAPI_PKCS11_HA_TOKENS in $dir/tokens"
}

fapi_softhsm_setup
