"""A task executable for the runner tests, doing what its `--args-json` asks.

Registered through `POST /api/v2/task/` with the command `{python} {this file}`, it runs
as any task does: a subprocess of the job's executor. Keys of its arguments (all
optional):

* `sleep`: seconds to wait first;
* `pid_dir`: start a child `sleep` in the call's process group and write
  `{pid} {child pid}` to a new file of that folder;
* `fail_on`: zarr_urls on which the call fails (exit code 1); `fail`: always fail;
* `set_attributes`: an output updating the call's image (`zarr_url`) with these;
* `output`: the exact output to write (any JSON, valid or not);
* `items`: an init output of that many items, `{zarr_dir}/item_{i}.zarr`;
* otherwise no output file is written.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--args-json", required=True)
    parser.add_argument("--out-json", required=True)
    options = parser.parse_args()
    args = json.loads(Path(options.args_json).read_text())
    zarr_url = args.get("zarr_url")
    print(f"scripted task called with {sorted(args)}", flush=True)
    if "pid_dir" in args:
        child = subprocess.Popen(["sleep", "60"])
        record = Path(args["pid_dir"], f"{os.getpid()}.pid")
        partial = record.with_suffix(".partial")  # renamed: readers never see it half-written
        partial.write_text(f"{os.getpid()} {child.pid}")
        partial.replace(record)
    time.sleep(args.get("sleep", 0))
    if args.get("fail") or zarr_url in args.get("fail_on", []):
        print(f"failing on purpose ({zarr_url})", file=sys.stderr, flush=True)
        sys.exit(1)
    if "set_attributes" in args:
        output = {
            "image_list_updates": [{"zarr_url": zarr_url, "attributes": args["set_attributes"]}]
        }
    elif "output" in args:
        output = args["output"]
    elif "items" in args:
        urls = [f"{args['zarr_dir']}/item_{index}.zarr" for index in range(args["items"])]
        output = {"parallelization_list": [{"zarr_url": url} for url in urls]}
    else:
        return
    Path(options.out_json).write_text(json.dumps(output))


if __name__ == "__main__":
    main()
