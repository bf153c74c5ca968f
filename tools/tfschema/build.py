"""Build the provider-schema cache from a cdktf provider wheel (run at validator-install time).

    python -m opsteam.tools.tfschema.build WHEEL OUT [--source SPEC]

The wheel holds ``<pkg>/_jsii/<name>.jsii.tgz`` whose ``package/.jsii`` is the JSII assembly
(120-150 MB of JSON); it is read in memory, compacted (see ``compact``) and written atomically, so
a half-built cache never exists. Needs no Node, JSII runtime or network.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from opsteam.tools.tfschema.compact import compact

ASSEMBLY_MEMBER = "package/.jsii"


def read_assembly(wheel: Path) -> dict[str, Any]:
    """The JSII assembly inside a provider wheel; ValueError when there is none."""
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if "/_jsii/" in n and n.endswith(".jsii.tgz")]
        if not names:
            raise ValueError(f"{wheel.name} holds no _jsii/*.jsii.tgz")
        packed = archive.read(names[0])
    with tarfile.open(fileobj=io.BytesIO(packed), mode="r:gz") as tar:
        member = tar.extractfile(ASSEMBLY_MEMBER)
        if member is None:
            raise ValueError(f"{names[0]} holds no {ASSEMBLY_MEMBER}")
        data = json.load(member)
    if not isinstance(data, dict) or not isinstance(data.get("types"), dict):
        raise ValueError(f"{ASSEMBLY_MEMBER} in {wheel.name} is not a JSII assembly")
    return data


def write_cache(cache: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tf-schema-", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(cache, handle, separators=(",", ":"))
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is shared, read-only data
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m opsteam.tools.tfschema.build")
    parser.add_argument("wheel", type=Path, help="cdktf provider wheel (.whl)")
    parser.add_argument("out", type=Path, help="cache file to write (JSON)")
    parser.add_argument("--source", default="", help="what the wheel is, e.g. name==version")
    args = parser.parse_args(argv)
    try:
        cache = compact(read_assembly(args.wheel), args.source or args.wheel.name)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, tarfile.TarError) as exc:
        print(f"error: cannot build the provider schema from {args.wheel}: {exc}", file=sys.stderr)
        return 2
    write_cache(cache, args.out)
    print(
        f"tf-schema: {cache['provider']} provider {cache['provider_version']}, "
        f"{len(cache['resources'])} resources, {len(cache['data_sources'])} data sources "
        f"-> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
