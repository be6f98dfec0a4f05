# shellcheck shell=bash
# Source this file: it gives the fapi-pkcs11 tests a token on a software
# TPM 2.0, the second PKCS#11 module they run against (next to SoftHSM2).
#
#   . crates/fapi-pkcs11/tests/tpm-setup.sh
#   ...
#   fapi_tpm_stop
#
# Installs what is missing (as root): swtpm and swtpm-tools (the TPM),
# libtpm2-pkcs11-1 (the PKCS#11 module), libtpm2-pkcs11-tools (tpm2_ptool,
# which brings tpm2-tools) and libtss2-tcti-swtpm0 (the TSS's swtpm TCTI).
# Starts swtpm on 127.0.0.1 on two free ports (commands, control) with a
# state directory in a new temporary directory, makes a tpm2-pkcs11 store
# there with `tpm2_ptool init` and one token with `tpm2_ptool addtoken`,
# and exports what the tests read:
#   FAPI_TPM_PKCS11_MODULE  the module (libtpm2_pkcs11.so)
#   FAPI_TPM_TOKEN          the token label (fapi-tpm)
#   FAPI_TPM_PIN, FAPI_TPM_SO_PIN
#   FAPI_TPM_SWTPM, FAPI_TPM_PORT, FAPI_TPM_CTRL_PORT, FAPI_TPM_DIR
#                           for the test that stops and restarts the TPM
#   TPM2_PKCS11_STORE, TPM2_PKCS11_TCTI  read by the module
#   TPM2TOOLS_TCTI          read by tpm2-tools
# `fapi_tpm_stop` stops swtpm and removes the directory; an EXIT trap (added
# to any trap already set) calls it too. Takes about two seconds.
#
# Two things a real TPM behind the kernel's resource manager does not need:
# - swtpm is reached without a resource manager, and each tpm2-tools
#   command leaves its transient objects loaded (a TPM holds three), so
#   tpm2_ptool runs with wrappers that flush them after each command
#   ($FAPI_TPM_DIR/bin).
# - The TPM's dictionary-attack lockout is relaxed (1000 tries, 1 s
#   recovery) so that the wrong-PIN test does not lock the token's PIN for
#   the rest of the run.

# A port on 127.0.0.1 that nothing listens on, and the one after it too.
fapi_tpm_free_ports() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    if ! (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null &&
      ! (: <"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
}

fapi_tpm_module_path() {
  local p
  for p in ${FAPI_TPM_PKCS11_MODULE:-} \
    /usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so \
    /usr/lib/aarch64-linux-gnu/pkcs11/libtpm2_pkcs11.so \
    /usr/lib/x86_64-linux-gnu/libtpm2_pkcs11.so.1 \
    /usr/lib/aarch64-linux-gnu/libtpm2_pkcs11.so.1; do
    if [ -e "$p" ]; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

fapi_tpm_ready() {
  command -v swtpm >/dev/null 2>&1 && command -v swtpm_ioctl >/dev/null 2>&1 &&
    command -v tpm2_ptool >/dev/null 2>&1 && command -v tpm2_flushcontext >/dev/null 2>&1 &&
    fapi_tpm_module_path >/dev/null &&
    { [ -e /usr/lib/x86_64-linux-gnu/libtss2-tcti-swtpm.so.0 ] ||
      [ -e /usr/lib/aarch64-linux-gnu/libtss2-tcti-swtpm.so.0 ] ||
      ldconfig -p 2>/dev/null | grep -q libtss2-tcti-swtpm.so.0; }
}

fapi_tpm_install() {
  local pkgs="swtpm swtpm-tools libtpm2-pkcs11-1 libtpm2-pkcs11-tools libtss2-tcti-swtpm0 tpm2-tools"
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "tpm-setup: swtpm or tpm2-pkcs11 is missing and cannot be installed here (not root, or no apt-get)" >&2
    return 1
  fi
  echo "tpm-setup: installing $pkgs"
  # shellcheck disable=SC2086 # the package list is split on purpose
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null 2>&1 || {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
  }
}

# Starts swtpm on the exported ports and state directory and waits until
# it answers on its control port.
fapi_tpm_start_swtpm() {
  rm -f "$FAPI_TPM_DIR/swtpm.pid"
  swtpm socket --tpm2 \
    --server "type=tcp,port=$FAPI_TPM_PORT,bindaddr=127.0.0.1" \
    --ctrl "type=tcp,port=$FAPI_TPM_CTRL_PORT,bindaddr=127.0.0.1" \
    --tpmstate "dir=$FAPI_TPM_DIR/state" \
    --flags not-need-init,startup-clear \
    --pid "file=$FAPI_TPM_DIR/swtpm.pid" --log "file=$FAPI_TPM_DIR/swtpm.log" \
    --daemon || {
    echo "tpm-setup: swtpm did not start on 127.0.0.1:$FAPI_TPM_PORT" >&2
    cat "$FAPI_TPM_DIR/swtpm.log" >&2 2>/dev/null || true
    return 1
  }
  local _
  for _ in $(seq 1 50); do
    if swtpm_ioctl --tcp "127.0.0.1:$FAPI_TPM_CTRL_PORT" -g >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "tpm-setup: swtpm did not answer on 127.0.0.1:$FAPI_TPM_CTRL_PORT" >&2
  cat "$FAPI_TPM_DIR/swtpm.log" >&2 || true
  return 1
}

fapi_tpm_setup() {
  # Sourced again: the earlier TPM is stopped first.
  if [ -n "${FAPI_TPM_DIR:-}" ]; then fapi_tpm_stop; fi
  if ! fapi_tpm_ready; then
    fapi_tpm_install || return 1
    fapi_tpm_ready || {
      echo "tpm-setup: swtpm, tpm2_ptool, the swtpm TCTI or libtpm2_pkcs11.so still missing" >&2
      return 1
    }
  fi
  FAPI_TPM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/fapi-tpm.XXXXXX")
  export FAPI_TPM_DIR
  mkdir -p "$FAPI_TPM_DIR/state" "$FAPI_TPM_DIR/store" "$FAPI_TPM_DIR/bin"
  FAPI_TPM_SWTPM=$(command -v swtpm)
  export FAPI_TPM_PORT FAPI_TPM_CTRL_PORT FAPI_TPM_SWTPM
  local prev
  prev=$(trap -p EXIT | sed -n "s/^trap -- '\(.*\)' EXIT$/\1/p")
  # shellcheck disable=SC2064 # the previous trap is expanded now, on purpose
  trap "${prev:+$prev; }fapi_tpm_stop" EXIT
  # Free ports, three tries: another process may take a port between the
  # check and swtpm's bind.
  local try
  for try in 1 2 3; do
    FAPI_TPM_PORT=$(fapi_tpm_free_ports)
    FAPI_TPM_CTRL_PORT=$((FAPI_TPM_PORT + 1))
    if fapi_tpm_start_swtpm; then break; fi
    [ "$try" = 3 ] && return 1
  done

  export TPM2_PKCS11_STORE="$FAPI_TPM_DIR/store"
  export TPM2_PKCS11_TCTI="swtpm:host=127.0.0.1,port=$FAPI_TPM_PORT"
  export TPM2TOOLS_TCTI="$TPM2_PKCS11_TCTI"
  # Each tpm2-tools command run by tpm2_ptool, then a flush of the
  # transient objects it left (there is no resource manager to do it).
  local tool real
  for tool in createprimary evictcontrol readpublic load loadexternal unseal \
    encryptdecrypt create getcap import changeauth sign; do
    real=$(command -v "tpm2_$tool") || continue
    # shellcheck disable=SC2016 # "$@" and $rc belong to the wrapper
    printf '#!/bin/sh\n"%s" "$@"; rc=$?\ntpm2_flushcontext -t >/dev/null 2>&1\nexit $rc\n' \
      "$real" >"$FAPI_TPM_DIR/bin/tpm2_$tool"
    chmod +x "$FAPI_TPM_DIR/bin/tpm2_$tool"
  done
  # Relaxed dictionary-attack lockout (empty lockout auth on a new TPM).
  tpm2_dictionarylockout --setup-parameters --max-tries=1000 \
    --recovery-time=1 --lockout-recovery-time=1 >/dev/null || return 1

  export FAPI_TPM_PKCS11_MODULE
  FAPI_TPM_PKCS11_MODULE=$(fapi_tpm_module_path)
  export FAPI_TPM_TOKEN=${FAPI_TPM_TOKEN:-fapi-tpm}
  export FAPI_TPM_PIN=${FAPI_TPM_PIN:-fapi-tpm-user-4711}
  export FAPI_TPM_SO_PIN=${FAPI_TPM_SO_PIN:-fapi-tpm-so-0815}
  local log="$FAPI_TPM_DIR/ptool.log"
  if ! PATH="$FAPI_TPM_DIR/bin:$PATH" tpm2_ptool init --path "$TPM2_PKCS11_STORE" >"$log" 2>&1 ||
    ! PATH="$FAPI_TPM_DIR/bin:$PATH" tpm2_ptool addtoken --pid=1 --label="$FAPI_TPM_TOKEN" \
      --sopin="$FAPI_TPM_SO_PIN" --userpin="$FAPI_TPM_PIN" \
      --path "$TPM2_PKCS11_STORE" >>"$log" 2>&1; then
    echo "tpm-setup: tpm2_ptool could not make the token:" >&2
    cat "$log" >&2
    return 1
  fi
  # Two keys made by tpm2_ptool, next to those the tests generate through
  # C_GenerateKeyPair (see the README: a software TPM without a resource
  # manager holds three objects, and tpm2-pkcs11 keeps a key loaded from
  # its first use until logout).
  export FAPI_TPM_ES256_KEY=fapi-tpm-es256 FAPI_TPM_PS256_KEY=fapi-tpm-ps256
  if ! PATH="$FAPI_TPM_DIR/bin:$PATH" tpm2_ptool addkey --label="$FAPI_TPM_TOKEN" \
    --key-label="$FAPI_TPM_ES256_KEY" --algorithm=ecc256 --userpin="$FAPI_TPM_PIN" \
    --path "$TPM2_PKCS11_STORE" >>"$log" 2>&1 ||
    ! PATH="$FAPI_TPM_DIR/bin:$PATH" tpm2_ptool addkey --label="$FAPI_TPM_TOKEN" \
      --key-label="$FAPI_TPM_PS256_KEY" --algorithm=rsa2048 --userpin="$FAPI_TPM_PIN" \
      --path "$TPM2_PKCS11_STORE" >>"$log" 2>&1; then
    echo "tpm-setup: tpm2_ptool could not add the keys:" >&2
    cat "$log" >&2
    return 1
  fi
  tpm2_flushcontext -t >/dev/null 2>&1 || true
  echo "tpm-setup: swtpm $(swtpm --version 2>/dev/null | sed -n 's/.*version \([^ ,]*\).*/\1/p') on 127.0.0.1:$FAPI_TPM_PORT, token $FAPI_TPM_TOKEN (module $FAPI_TPM_PKCS11_MODULE, store $TPM2_PKCS11_STORE)"
}

# Stops swtpm (the one whose pid file is in $FAPI_TPM_DIR) and removes the
# directory.
fapi_tpm_stop() {
  if [ -n "${FAPI_TPM_DIR:-}" ] && [ -d "$FAPI_TPM_DIR" ]; then
    local pid
    pid=$(cat "$FAPI_TPM_DIR/swtpm.pid" 2>/dev/null || true)
    # Only the swtpm serving this directory: never a pid reused since.
    if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$FAPI_TPM_DIR/state"; then
      kill "$pid" 2>/dev/null || true
      sleep 0.2
    fi
    rm -rf "$FAPI_TPM_DIR"
    echo "tpm-setup: stopped the software TPM on 127.0.0.1:${FAPI_TPM_PORT:-?}"
  fi
  FAPI_TPM_DIR=
}

if ! fapi_tpm_setup; then
  fapi_tpm_stop
  # The tests read this: without a token they are skipped (or fail under CI=true).
  unset FAPI_TPM_PKCS11_MODULE FAPI_TPM_TOKEN FAPI_TPM_PIN
  echo "tpm-setup: no TPM token; the TPM tests will be skipped (or fail under CI=true)" >&2
fi
