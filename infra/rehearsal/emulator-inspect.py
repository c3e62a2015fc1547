"""What the deploy rehearsal asks the AWS emulator (moto's server) and moto itself, one JSON answer per call.

Run with the local-tools interpreter (moto and boto3 live there):
  python emulator-inspect.py <endpoint> <region> <op> [args...]
Ops:
  identity                        STS GetCallerIdentity
  stacks NAME...                  status and reason of each stack (null: absent)
  events NAME                     CloudFormation stack events, oldest first
  resources NAME                  stack resources (or the error the emulator answered)
  objects BUCKET                  keys and sizes of a bucket
  support TEMPLATE                per resource type: does moto's CloudFormation have a model for it
  locate TEMPLATE FILE:LINE...    which resource type's create_from_cloudformation_json holds a traceback frame
  create NAME BUCKET KEY TEMPLATE CreateStack from a template uploaded to the emulator's S3 (the probe)
"""
import inspect
import json
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def client(service, endpoint, region):
    # No retries: an emulator error is reported once, as it happened.
    return boto3.client(service, endpoint_url=endpoint, region_name=region, config=Config(retries={"max_attempts": 1}, read_timeout=120))


def error_of(e):
    if isinstance(e, ClientError):
        err = e.response.get("Error", {})
        return {"code": err.get("Code") or str(e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")), "message": err.get("Message") or str(e)}
    return {"code": type(e).__name__, "message": str(e)}


def template_types(path):
    with open(path) as f:
        resources = json.load(f).get("Resources", {})
    return resources


def main(endpoint, region, op, *args):
    cf = lambda: client("cloudformation", endpoint, region)
    if op == "identity":
        return client("sts", endpoint, region).get_caller_identity()["Account"]
    if op == "stacks":
        out = {}
        for name in args:
            try:
                s = cf().describe_stacks(StackName=name)["Stacks"][0]
                out[name] = {"status": s["StackStatus"], "reason": s.get("StackStatusReason")}
            except ClientError as e:
                msg = error_of(e)
                out[name] = None if "does not exist" in msg["message"] else {"status": "UNREADABLE", "reason": msg["message"]}
            except Exception as e:
                out[name] = {"status": "UNREADABLE", "reason": error_of(e)["message"]}
        return out
    if op == "events":
        try:
            events = cf().describe_stack_events(StackName=args[0])["StackEvents"]
        except Exception as e:
            return {"error": error_of(e)}
        return [
            {"logicalId": e.get("LogicalResourceId"), "type": e.get("ResourceType"), "status": e.get("ResourceStatus"), "reason": e.get("ResourceStatusReason"), "time": e["Timestamp"].isoformat()}
            for e in sorted(events, key=lambda e: e["Timestamp"])
        ]
    if op == "resources":
        try:
            rs = cf().describe_stack_resources(StackName=args[0])["StackResources"]
        except Exception as e:
            return {"error": error_of(e)}
        return [{"logicalId": r.get("LogicalResourceId"), "type": r.get("ResourceType"), "status": r.get("ResourceStatus"), "physicalId": r.get("PhysicalResourceId")} for r in rs]
    if op == "objects":
        try:
            page = client("s3", endpoint, region).list_objects_v2(Bucket=args[0])
        except Exception as e:
            return {"error": error_of(e)}
        return [{"key": o["Key"], "size": o["Size"]} for o in page.get("Contents", [])]
    if op == "support":
        from moto.cloudformation.parsing import resource_class_from_type

        types = sorted({r["Type"] for r in template_types(args[0]).values()})
        out = {}
        for t in types:
            cls = resource_class_from_type(t)
            out[t] = "none" if cls is None else ("custom" if t.startswith("Custom::") or t == "AWS::CloudFormation::CustomResource" else "model")
        return out
    if op == "locate":
        from moto.cloudformation.parsing import resource_class_from_type

        types = sorted({r["Type"] for r in template_types(args[0]).values()})
        frames = [(f.rsplit(":", 1)[0], int(f.rsplit(":", 1)[1])) for f in args[1:]]
        for t in types:
            cls = resource_class_from_type(t)
            if cls is None or t.startswith("Custom::"):
                continue
            fn = getattr(cls, "create_from_cloudformation_json", None)
            fn = getattr(fn, "__func__", fn)
            try:
                lines, start = inspect.getsourcelines(fn)
                file = inspect.getsourcefile(fn)
            except (TypeError, OSError):
                continue
            for f, line in frames:
                if file and file.endswith(f) and start <= line < start + len(lines):
                    return t
        return None
    if op == "create":
        name, bucket, key, template = args
        with open(template) as f:
            body = f.read()
        client("s3", endpoint, region).put_object(Bucket=bucket, Key=key, Body=body)
        # The form of TemplateURL real CloudFormation gets; the emulator reads the object from its own S3.
        url = f"https://s3.{region}.amazonaws.com/{bucket}/{key}"
        try:
            cf().create_stack(StackName=name, TemplateURL=url, Parameters=[{"ParameterKey": "BootstrapVersion", "ParameterValue": "/cdk-bootstrap/hnb659fds/version"}], Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])
            return {"ok": True}
        except Exception as e:
            return {"ok": False, "error": error_of(e)}
    raise SystemExit(f"unknown op {op}")


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:]), default=str))
