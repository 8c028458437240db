"""Puts a measured section into a Markdown file between its markers.

    python3 scripts/write-section.py FILE NAME REPORT COMMAND [HEADING]

wraps REPORT (a file) between <!-- NAME:start --> and <!-- NAME:end --> with a line
saying when and with which COMMAND it was measured, and replaces the section already
in FILE, or appends it (under "## HEADING" when given).
"""
import datetime
import os
import re
import sys

path, name, report, command = sys.argv[1:5]
heading = sys.argv[5] if len(sys.argv) > 5 else None
today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
body = open(report).read().strip()
section = (
    f"<!-- {name}:start -->\nMeasured {today} on this machine ({os.cpu_count()} cores) "
    f"with `{command}`:\n\n{body}\n<!-- {name}:end -->"
)
text = open(path).read() if os.path.exists(path) else "# " + os.path.splitext(os.path.basename(path))[0].title() + "\n"
pattern = re.compile(rf"<!-- {re.escape(name)}:start -->.*?<!-- {re.escape(name)}:end -->", re.S)
if pattern.search(text):
    text = pattern.sub(lambda _: section, text)
else:
    text = text.rstrip() + "\n\n" + (f"## {heading}\n\n" if heading else "") + section + "\n"
open(path, "w").write(text)
print(f"{path} updated")
