#!/usr/bin/env python3
"""Writes the signing test vectors under tests/vectors/ from the literal texts below.

Every canonical request here is written out by hand from the vendors' algorithm descriptions (see
README.md), never produced by the project's signers. Python's hashlib and hmac then give the string to
sign and the signature. Where a vendor published a canonical-request hash or a signature, it is checked
here against the hand-written text before anything is written, and kept in `published.json` for the
Rust test to check again.

Run: python3 tests/vectors/derive.py   (rewrites the case folders; the diff should be empty)
"""
import hashlib
import hmac
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
EMPTY = hashlib.sha256(b"").hexdigest()


def sha(b):
    return hashlib.sha256(b).hexdigest()


def huawei(name, source, request, canonical, ak, sk, date, published):
    sts = "SDK-HMAC-SHA256\n%s\n%s" % (date, sha(canonical.encode()))
    sig = hmac.new(sk.encode(), sts.encode(), hashlib.sha256).hexdigest()
    signed = canonical.split("\n")[-2]
    auth = "SDK-HMAC-SHA256 Access=%s, SignedHeaders=%s, Signature=%s" % (ak, signed, sig)
    write("huawei", name, source, request, canonical, sts, auth, {"access_key": ak, "secret_key": sk}, published, sig)


def alibaba(name, source, request, canonical, ak, secret, published, token=None):
    sts = "ACS3-HMAC-SHA256\n%s" % sha(canonical.encode())
    sig = hmac.new(secret.encode(), sts.encode(), hashlib.sha256).hexdigest()
    signed = canonical.split("\n")[-2]
    auth = "ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s" % (ak, signed, sig)
    creds = {"access_key": ak, "secret_key": secret}
    write("alibaba", name, source, request, canonical, sts, auth, creds, published, sig)


def write(provider, name, source, request, canonical, sts, auth, creds, published, sig):
    if "canonical_request_sha256" in published:
        assert sha(canonical.encode()) == published["canonical_request_sha256"], name
    if "signature" in published:
        assert sig == published["signature"], name
    d = os.path.join(HERE, provider, name)
    os.makedirs(d, exist_ok=True)
    files = {
        "request.txt": request,
        "canonical-request.txt": canonical,
        "string-to-sign.txt": sts,
        "authorization.txt": auth,
        "context.json": json.dumps(dict(source=source, **creds), indent=2) + "\n",
        "published.json": json.dumps(published, indent=2) + "\n",
    }
    for f, text in files.items():
        with open(os.path.join(d, f), "wb") as out:
            out.write(text.encode() if isinstance(text, str) else text)


# Huawei Cloud API signing guide ("AK/SK signing and authentication"): canonical-request hash and signature published.
huawei(
    "guide-get-vpcs",
    "Huawei Cloud API Gateway signing guide, AK/SK signing example",
    "GET /v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0 HTTP/1.1\r\n"
    "Host: service.region.example.com\r\n"
    "Content-Type: application/json\r\n"
    "X-Sdk-Date: 20191115T033655Z\r\n\r\n",
    "GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\nlimit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n"
    "content-type:application/json\nhost:service.region.example.com\nx-sdk-date:20191115T033655Z\n\n"
    "content-type;host;x-sdk-date\n" + EMPTY,
    "QTWAOYTTINDUT2QVKYUC", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", "20191115T033655Z",
    {
        "canonical_request_sha256": "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a",
        "signature": "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe",
    },
)

# huaweicloud-sdk-python-v3, huaweicloudsdkcore tests/test_signer.py: signatures published.
for method, body, sig in [
    ("GET", b"", "cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842"),
    ("POST", b'{"name":"test","id":1}', "436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f"),
]:
    huawei(
        "python-sdk-" + method.lower(),
        "huaweicloud-sdk-python-v3 huaweicloudsdkcore tests/test_signer.py",
        ("%s /resources?size=1 HTTP/1.1\r\nHost: service.endpoint.myhuaweicloud.com\r\n"
         "X-Sdk-Date: 20200608T023900Z\r\n\r\n" % method).encode() + body,
        "%s\n/resources/\nsize=1\nhost:service.endpoint.myhuaweicloud.com\nx-sdk-date:20200608T023900Z\n\n"
        "host;x-sdk-date\n%s" % (method, sha(body)),
        "AccessKey", "SecretKey", "20200608T023900Z",
        {"signature": sig},
    )

# huaweicloud-sdk-go-v3 core/auth/signer/signer_test.go (TestSigner_Sign): the header with `_` is sent
# but not signed; no Host header is signed. The POST body is encoding/json's output, newline included.
for name, method, target, body, sig in [
    ("go-sdk-get-underscore-header", "GET", "/path?limit=1", b"",
     "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"),
    ("go-sdk-post-underscore-header", "POST", "/path?key=value", b'{"Name":"test","Id":1}\n',
     "cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"),
]:
    query = target.split("?")[1]
    huawei(
        name,
        "huaweicloud-sdk-go-v3 core/auth/signer/signer_test.go",
        ("%s %s HTTP/1.1\r\nX-Sdk-Date: 20060102T150405Z\r\nTEST_UNDERSCORE: TEST_VALUE\r\n\r\n"
         % (method, target)).encode() + body,
        "%s\n/path/\n%s\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\n%s" % (method, query, sha(body)),
        "AccessKey", "SecretKey", "20060102T150405Z",
        {"signature": sig},
    )

# Hand-derived: temporary credentials. X-Security-Token and X-Project-Id are signed like any header;
# X_Trace_Id (with `_`) is sent unsigned.
body = b'{"db_user_id":"2c250598-1e3c-4d31-bc19-be1d866247e6","user":"app"}'
huawei(
    "security-token",
    "hand-derived from the SDK-HMAC-SHA256 description (no published vector)",
    b"DELETE /v3/054e292c9880d4992f02c0196d3ea468/instances/da304cd5bbb944de828759bc7be3d3fein01/process HTTP/1.1\r\n"
    b"Host: das.cn-north-4.myhuaweicloud.com\r\n"
    b"Content-Type: application/json\r\n"
    b"X-Project-Id: 054e292c9880d4992f02c0196d3ea468\r\n"
    b"X-Sdk-Date: 20261201T020304Z\r\n"
    b"X-Security-Token: gQpjbi1ub3J0aC00TOKEN+/=\r\n"
    b"X_Trace_Id: t-1\r\n\r\n" + body,
    "DELETE\n/v3/054e292c9880d4992f02c0196d3ea468/instances/da304cd5bbb944de828759bc7be3d3fein01/process/\n\n"
    "content-type:application/json\nhost:das.cn-north-4.myhuaweicloud.com\n"
    "x-project-id:054e292c9880d4992f02c0196d3ea468\nx-sdk-date:20261201T020304Z\n"
    "x-security-token:gQpjbi1ub3J0aC00TOKEN+/=\n\n"
    "content-type;host;x-project-id;x-sdk-date;x-security-token\n" + sha(body),
    "HWTESTACCESSKEY0000001", "hw-test-secret-key", "20261201T020304Z",
    {},
)

# Hand-derived: a path segment holding reserved characters (sent percent-encoded; canonically each
# segment is decoded, then encoded with only A-Z a-z 0-9 - _ . ~ kept), and query values with reserved
# characters and a repeated key.
huawei(
    "encoded-path-and-query",
    "hand-derived from the SDK-HMAC-SHA256 description (no published vector)",
    "POST /v3/054e292c9880d4992f02c0196d3ea468/nodes/a%20b%2Fc%5C%2A~%C3%A9/session?q=b%2Fc&q=a%20b&z=%26%3D%2B HTTP/1.1\r\n"
    "Host: dds.cn-north-4.myhuaweicloud.com\r\n"
    "X-Sdk-Date: 20261201T020304Z\r\n\r\n",
    "POST\n/v3/054e292c9880d4992f02c0196d3ea468/nodes/a%20b%2Fc%5C%2A~%C3%A9/session/\n"
    "q=a%20b&q=b%2Fc&z=%26%3D%2B\nhost:dds.cn-north-4.myhuaweicloud.com\nx-sdk-date:20261201T020304Z\n\n"
    "host;x-sdk-date\n" + EMPTY,
    "HWTESTACCESSKEY0000001", "hw-test-secret-key", "20261201T020304Z",
    {},
)

# Alibaba Cloud "V3 request structure and signature", fixed-value example: hash and signature published.
alibaba(
    "v3-doc-example",
    "Alibaba Cloud API reference, V3 request structure and signature, signature example",
    "POST /?ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai HTTP/1.1\r\n"
    "Host: ecs.cn-shanghai.aliyuncs.com\r\n"
    "x-acs-action: RunInstances\r\n"
    "x-acs-version: 2014-05-26\r\n"
    "x-acs-date: 2023-10-26T10:22:32Z\r\n"
    "x-acs-signature-nonce: 3156853299f313e23d1673dc12e1703d\r\n"
    "x-acs-content-sha256: " + EMPTY + "\r\n\r\n",
    "POST\n/\nImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai\n"
    "host:ecs.cn-shanghai.aliyuncs.com\nx-acs-action:RunInstances\nx-acs-content-sha256:" + EMPTY + "\n"
    "x-acs-date:2023-10-26T10:22:32Z\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\n"
    "x-acs-version:2014-05-26\n\n"
    "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\n" + EMPTY,
    "YourAccessKeyId", "YourAccessKeySecret",
    {
        "canonical_request_sha256": "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259",
        "signature": "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
    },
)

# Hand-derived: STS credentials (x-acs-security-token signed) and query values with reserved characters,
# JSON-array text included, as CreateKillInstanceSessionTask sends them.
alibaba(
    "sts-token-reserved-query-values",
    "hand-derived from the ACS3-HMAC-SHA256 description (no published vector)",
    "POST /?DbUser=testUser&DbUserPassword=p%40ss%20w0rd%26%3D%2B%2A~%2F&IgnoredUsers=%5B%22a%20b%22%2C%22c%2Ad%22%5D"
    "&InstanceId=rm-2ze8g2am97624%2A%2A%2A%2A&KillAllSessions=false&SessionIds=%5B10805639%2C10805623%5D HTTP/1.1\r\n"
    "Host: das.cn-shanghai.aliyuncs.com\r\n"
    "x-acs-action: CreateKillInstanceSessionTask\r\n"
    "x-acs-version: 2020-01-16\r\n"
    "x-acs-date: 2026-12-01T02:03:04Z\r\n"
    "x-acs-signature-nonce: 0123456789abcdef0123456789abcdef\r\n"
    "x-acs-content-sha256: " + EMPTY + "\r\n"
    "x-acs-security-token: CAIS+sts/TOKEN==\r\n\r\n",
    "POST\n/\n"
    "DbUser=testUser&DbUserPassword=p%40ss%20w0rd%26%3D%2B%2A~%2F&IgnoredUsers=%5B%22a%20b%22%2C%22c%2Ad%22%5D"
    "&InstanceId=rm-2ze8g2am97624%2A%2A%2A%2A&KillAllSessions=false&SessionIds=%5B10805639%2C10805623%5D\n"
    "host:das.cn-shanghai.aliyuncs.com\nx-acs-action:CreateKillInstanceSessionTask\n"
    "x-acs-content-sha256:" + EMPTY + "\nx-acs-date:2026-12-01T02:03:04Z\n"
    "x-acs-security-token:CAIS+sts/TOKEN==\nx-acs-signature-nonce:0123456789abcdef0123456789abcdef\n"
    "x-acs-version:2020-01-16\n\n"
    "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version\n" + EMPTY,
    "LTAITESTACCESSKEYID01", "ali-test-secret",
    {},
)
