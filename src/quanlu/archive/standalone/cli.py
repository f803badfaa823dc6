"""The standalone verifier's command line: ``python3 verify_package.py PACKAGE_DIR``.

Runs inside the single-file verifier built by ``build.py`` (where the modules are loaded by
their short names) and in the source tree alike.
"""

from __future__ import annotations

import argparse
import json
import sys

try:  # in the source tree
    from quanlu.archive import bagit, package
except ImportError:  # inside verify_package.py
    import bagit  # type: ignore[no-redef]
    import package  # type: ignore[no-redef]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="verify_package.py",
        description="离线校验 quanlu 档案包（BagIt 1.0，RFC 8493；日志包含证明 RFC 9162；签名检查点 C2SP）。"
        "只需 Python 3，无需其他软件。 Offline verifier for quanlu archive packages (BagIt 1.0, RFC 8493;"
        " ledger inclusion proofs, RFC 9162; signed checkpoints, C2SP); needs only Python 3.",
    )
    parser.add_argument("package_dir", help="档案包目录 / the package directory")
    parser.add_argument(
        "--bag-only", action="store_true", help="只检查 BagIt 层 / check only the BagIt layer"
    )
    parser.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="VKEY",
        help="机关日志公钥（备考表所印，可重复）；给出时只信任此公钥 / the agency's log key as printed"
        " on the 备考表 (repeatable): only this key is trusted",
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument("--workers", type=int, default=None, help="并行读取的线程数 / reader threads")
    args = parser.parse_args(argv)
    report = package.verify_package(
        args.package_dir, bag_only=args.bag_only, workers=args.workers, trusted_keys=tuple(args.key)
    )
    if args.format == "json":
        body = report.as_dict()
        body["profile"] = "bagit" if args.bag_only else package.PROFILE
        print(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        print(bagit.format_report(report))
    return 0 if report.valid else 1


if __name__ == "__main__":
    sys.exit(main())
