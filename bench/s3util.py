"""Bucket chores for the benchmark, run with the moto venv's Python (which has boto3).

    s3util.py ENDPOINT mkbucket BUCKET
    s3util.py ENDPOINT put-objects BUCKET PREFIX COUNT SIZE SEED
    s3util.py ENDPOINT list BUCKET PREFIX        (prints "key size" lines, sorted)

Credentials come from the environment (AWS_ACCESS_KEY_ID=test etc., set by bench/run).
"""

import random
import sys

import boto3
from botocore.config import Config


def client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(max_pool_connections=16, retries={"max_attempts": 5}),
    )


def main(argv):
    endpoint, command, *args = argv
    s3 = client(endpoint)
    if command == "mkbucket":
        (bucket,) = args
        s3.create_bucket(Bucket=bucket)
    elif command == "put-objects":
        bucket, prefix, count, size, seed = args
        rng = random.Random(int(seed))
        for i in range(int(count)):
            s3.put_object(Bucket=bucket, Key=f"{prefix}{i:05d}", Body=rng.randbytes(int(size)))
    elif command == "list":
        bucket, prefix = args
        lines = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                lines.append(f"{obj['Key']} {obj['Size']}")
        lines.sort()
        sys.stdout.write("".join(line + "\n" for line in lines))
    else:
        raise SystemExit(f"s3util.py: unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
