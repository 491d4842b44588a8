#!/bin/sh
# Builds the chaincode-as-a-service package a peer installs: metadata.json + code.tar.gz(connection.json).
#
#   image/package.sh <host:port the peer dials> [label] > /dev/null    # writes <label>.tgz here
#   peer lifecycle chaincode install datapact_1.0.tgz
#
# For TLS between peer and chaincode, edit connection.json in the package as docs/fabric.md shows (tls_required,
# root_cert, and for mutual TLS client_auth_required, client_key, client_cert).
set -eu
address=${1:?usage: package.sh <host:port> [label]}
label=${2:-datapact_1.0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '{\n  "address": "%s",\n  "dial_timeout": "10s",\n  "tls_required": false\n}\n' "$address" > "$work/connection.json"
printf '{\n  "type": "ccaas",\n  "label": "%s"\n}\n' "$label" > "$work/metadata.json"
tar -C "$work" -czf "$work/code.tar.gz" connection.json
tar -C "$work" -czf "$label.tgz" metadata.json code.tar.gz
echo "$label.tgz"
