#!/usr/bin/env python3
"""A minimal ETSI GS QKD 014 (v1.1.1) client written from the standard alone, as an integrator's encryptor
would use one: the URL is https://{KME host}:{port}/api/v1/keys/{SAE_ID}/{status|enc_keys|dec_keys}
(section 5), the SAE is identified by its TLS client certificate, and nothing else is known about the KME.
Python's standard library only. Prints the JSON answer; exits 1 (status on stderr) unless it is 200.

  etsi014_client.py HOST PORT --ca CA --cert CERT --key KEY status SLAVE_SAE_ID
  etsi014_client.py HOST PORT ... enc_keys SLAVE_SAE_ID [--number N] [--size BITS] [--post]
  etsi014_client.py HOST PORT ... dec_keys MASTER_SAE_ID KEY_ID [KEY_ID ...] [--post]
"""
import argparse
import http.client
import json
import ssl
import sys
import urllib.parse


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("operation", choices=["status", "enc_keys", "dec_keys"])
    parser.add_argument("sae_id")
    parser.add_argument("key_ids", nargs="*")
    parser.add_argument("--number", type=int)
    parser.add_argument("--size", type=int)
    parser.add_argument("--post", action="store_true")
    args = parser.parse_args()

    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=args.ca)
    context.load_cert_chain(args.cert, args.key)
    connection = http.client.HTTPSConnection(args.host, args.port, context=context, timeout=30)

    path = f"/api/v1/keys/{urllib.parse.quote(args.sae_id)}/{args.operation}"
    method, body, headers = "GET", None, {"Accept": "application/json"}
    if args.operation == "enc_keys":
        request = {k: v for k, v in (("number", args.number), ("size", args.size)) if v is not None}
        if args.post:
            method, body = "POST", json.dumps(request)
        elif request:
            path += "?" + urllib.parse.urlencode(request)
    elif args.operation == "dec_keys":
        if args.post:
            method, body = "POST", json.dumps({"key_IDs": [{"key_ID": key_id} for key_id in args.key_ids]})
        else:
            path += "?" + urllib.parse.urlencode({"key_ID": args.key_ids[0]})
    if body is not None:
        headers["Content-Type"] = "application/json"

    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    text = response.read().decode("utf-8")
    connection.close()
    print(text)
    if response.status != 200:
        print(f"{method} {path}: {response.status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
