"""The `batchkeys` command: serve the simulator, verify and scrub cassettes, explain errors."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import version


def build_parser() -> argparse.ArgumentParser:
    """Parser for every subcommand; heavy modules are imported only by the one that runs."""
    parser = argparse.ArgumentParser(
        prog="batchkeys",
        description="Tools of pytest-batchkeys: local listKeys simulator, cassette audit, scrub.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {version('pytest-batchkeys')}"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the local ARM listKeys + token endpoint simulator",
        description="Run the simulator; the first line on stdout is its base URL.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    serve.add_argument("--config", metavar="FILE", help="YAML or JSON simulator configuration")
    serve.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a certificate from a test CA made for this run "
        "(needs pytest-batchkeys[tls]); plain http otherwise",
    )
    serve.add_argument(
        "--ca-file",
        metavar="PATH",
        help="with --tls: write the test CA certificate (PEM) to PATH, for REQUESTS_CA_BUNDLE "
        "or SSL_CERT_FILE (default: a temporary file, named on stderr)",
    )
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow binding a non-loopback address (off by default: keys are served in clear)",
    )

    verify = sub.add_parser(
        "verify",
        help="audit cassettes for secrets and contract violations",
        description="Check vcrpy cassettes and Azure SDK test-proxy recordings. "
        "Exit 0 clean, 1 findings, 2 unreadable or unsupported input.",
    )
    verify.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    verify.add_argument("--format", choices=("table", "json"), default="table")

    scrub = sub.add_parser(
        "scrub",
        help="scrub existing cassettes in place (atomic, idempotent)",
        description="Apply the recording scrubber to cassettes made by any tool.",
    )
    scrub.add_argument("paths", nargs="+", metavar="PATH", help="files or directories")
    scrub.add_argument(
        "--check", action="store_true", help="only report what would change; exit 1 if anything"
    )
    explain = sub.add_parser(
        "explain",
        help="show what an error's [see: batchkeys explain NAME] means and how to fix it",
        description="Print the troubleshooting section NAME (shipped with the package); "
        "without NAME, list them.",
    )
    explain.add_argument("anchor", nargs="?", metavar="NAME", help="e.g. missing-cassette")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from pytest_batchkeys.cli.serve import serve_main

        return serve_main(args)
    if args.command == "explain":
        from pytest_batchkeys.cli.explain import explain_main

        return explain_main(args)
    if args.command == "verify":
        from pytest_batchkeys.cli.verify import verify_main

        return verify_main(args)
    from pytest_batchkeys.cli.scrub import scrub_main

    return scrub_main(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
