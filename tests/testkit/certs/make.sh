#!/usr/bin/env bash
# Regenerates the test PKI in this folder with the openssl CLI: a CA, a server certificate for
# 127.0.0.1 and localhost, a client certificate for mTLS (both signed by the CA), and a client
# certificate from a CA nobody trusts (to see mTLS refuse it). P-256 keys, valid 100 years, so
# the committed files never expire under a test. Test-only keys: never trust this CA elsewhere.
# Usage: tests/testkit/certs/make.sh   (rewrites the *.pem files here; the tests read them)
set -euo pipefail
cd "$(dirname "$0")"
days=36500
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# A self-signed CA whose extensions satisfy strict verifiers (Python's VERIFY_X509_STRICT,
# webpki): critical basicConstraints, keyUsage and a subject key identifier.
ca() { # name subject
  key "$1-key.pem"
  openssl req -x509 -new -key "$1-key.pem" -subj "$2" -days "$days" -sha256 -out "$1.pem" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash"
}

leaf() { # name subject ca extensions
  key "$1-key.pem"
  openssl req -new -key "$1-key.pem" -subj "$2" -out "$work/$1.csr"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" "$4" >"$work/$1.ext"
  openssl x509 -req -in "$work/$1.csr" -CA "$3.pem" -CAkey "$3-key.pem" -CAcreateserial \
    -CAserial "$work/$(basename "$3").srl" -days "$days" -sha256 -extfile "$work/$1.ext" -out "$1.pem"
}

ca ca "/CN=mcpstream test CA"
leaf server "/CN=127.0.0.1" ca $'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost'
leaf client "/CN=mcpstream test client" ca "extendedKeyUsage=clientAuth"

ca "$work/stranger-ca" "/CN=a CA nobody trusts"
leaf stranger-client "/CN=mcpstream stranger client" "$work/stranger-ca" "extendedKeyUsage=clientAuth"

# The CA's key stays so that one more leaf can be signed by hand; the stranger CA's is thrown away.
for cert in server client stranger-client; do
  openssl verify -CAfile "$([[ $cert == stranger-* ]] && echo "$work/stranger-ca" || echo ca).pem" "$cert.pem" >/dev/null
done
echo "wrote $(ls ./*.pem | tr '\n' ' ')"
