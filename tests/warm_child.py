"""Run by test_warmstart as `python -m tests.warm_child OUT`: writes what it sees to OUT as JSON
(whether colorsys, which its helper preloads there and nothing here imports, is loaded), says a
line on each of stdout and stderr, and fails with exit code 3."""

import json
import os
import sys

seen = {"argv": sys.argv, "cwd": os.getcwd(), "setting": os.environ.get("GAN_WARM_CHILD_SETTING"),
        "session": os.getsid(0), "pid": os.getpid(), "parent": os.getppid(), "name": __name__,
        "preloaded": "colorsys" in sys.modules}
with open(sys.argv[1], "w") as out:
    json.dump(seen, out)
print("on stdout")
print("on stderr", file=sys.stderr)
sys.exit(3)
