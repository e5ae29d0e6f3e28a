#!/bin/sh
# The secrets of compose.yaml, made once into ./secrets (run by the setup
# service: docker compose --profile setup run --rm setup). Running it again
# keeps what exists.
set -eu
umask 077
out=/secrets
# One nkey seed per NATS user (intake, intake-api, ..., relay, payments,
# outside, operator), and the server's authorization block with their
# public keys and permissions.
natsusers -dir "$out/nats-users" -format conf > "$out/users.conf.new"
mv "$out/users.conf.new" "$out/users.conf"
chmod 0644 "$out/users.conf"   # public keys only: the NATS nodes read it
# The key-encryption keys of the personal-data keys (intake only). Never
# back this file up with the NATS stores (docs/production.md).
natsusers -kek "$out/pii-kek"
echo "secrets ready in $out: users.conf, nats-users/<user>.nk, pii-kek"
