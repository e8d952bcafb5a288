#!/usr/bin/env python3
"""Print the CloudFormation that the AWS SAM translator makes of a SAM template.

    python3 infra/sam/translate.py template.yaml > out.json

It runs the same translator as `sam build`/`sam deploy` and CloudFormation's
AWS::Serverless transform (the aws-sam-translator package), offline: local CodeUri replaced by an S3 one, as `sam deploy` does; no
parameter values (intrinsics stay unresolved) and no managed-policy lookup
(the template names no managed policy; one that did would fail here). The
tests of internal/service read its output.
"""
import json
import os
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """Refuses every managed-policy lookup: devhub's roles are all inline."""

    def load(self):
        return {}


def main(path):
    # The translator wants a region for its pseudo-parameters; none is used.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with open(path) as f:
        template = yaml_parse(f.read())
    # What `sam deploy` does before the transform: the local code becomes an
    # uploaded artifact.
    for logical_id, res in template.get("Resources", {}).items():
        props = res.get("Properties") or {}
        if res.get("Type") == "AWS::Serverless::Function" and not str(props.get("CodeUri", "s3://")).startswith("s3://"):
            props["CodeUri"] = "s3://artifacts/" + logical_id + ".zip"
    out = transform(template, {}, NoManagedPolicies())
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "template.yaml")
