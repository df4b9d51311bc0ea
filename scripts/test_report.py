"""Read an Odoo test log and print the closing line "N passed, M failed".

Failures are the failed and erroring tests Odoo reports, plus one for each of: an install that did
not finish, an uninstall that leaves something behind (with the "uninstall" check), skipped tests
(a skipped test is a defect here), warnings logged by the addon outside its tests, and an Odoo exit
status that is not 0 while no test failed.
"""
import re
import sys

REPORT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
SKIPPED = re.compile(r"INFO \S+ odoo\.addons\.quickbooks_connector\w*\.\S+: skipped ")
ADDON_WARNING = re.compile(r" WARNING \S+ odoo\.addons\.quickbooks_connector\w*[.:]")
CLOSING = re.compile(r"^(\d+) passed, (\d+) failed$")


def main(log_path, odoo_status, db_name, checks=""):
    with open(log_path, encoding="utf-8", errors="replace") as log:
        lines = log.read().splitlines()
    reports = [REPORT.search(line) for line in lines]
    reports = [m for m in reports if m]
    problems = []
    if not reports:
        problems.append("Odoo did not report any test result (installation failed?)")
        failed = errors = total = 0
    else:
        failed, errors, total = (int(g) for g in reports[-1].groups())
    skipped = [line for line in lines if SKIPPED.search(line)]
    if skipped:
        problems.append(f"{len(skipped)} test(s) skipped")
    install_warnings = [line for line in lines if ADDON_WARNING.search(line) and ".tests." not in line]
    if install_warnings:
        problems.append(f"{len(install_warnings)} warning(s) logged by the addon outside its tests")
        for line in install_warnings[:10]:
            print("  " + line[:300])
    if reports and not total:
        problems.append("no test ran (an addon not installed?)")
    if checks.startswith("uninstall"):
        # "uninstall" (one addon) or "uninstall:addon addon ...": one check per addon, each a test of its own.
        expected = len(checks.partition(":")[2].split()) or 1
        uninstall = [line for line in lines if line.startswith("UNINSTALL CHECK: ")]
        total += sum(line == "UNINSTALL CHECK: ok" for line in uninstall)
        problems += [line for line in uninstall if line != "UNINSTALL CHECK: ok"]
        if len(uninstall) < expected:
            problems.append(f"{expected - len(uninstall)} uninstall check(s) did not run")
    if int(odoo_status) != 0 and not (failed or errors):
        problems.append(f"Odoo exited with status {odoo_status}")
    for problem in problems:
        print(f"FAILED CHECK: {problem}")
    bad = failed + errors + len(problems)
    passed = max(total - failed - errors - len(skipped), 0)
    print(f"Database {db_name}: {total} tests run, {failed} failed, {errors} errors, {len(skipped)} skipped.")
    print(f"{passed} passed, {bad} failed")
    return 1 if bad else 0


def total(report_paths):
    """Add up the closing lines of several reports (the test databases of ``make test``)."""
    passed = failed = 0
    for path in report_paths:
        with open(path, encoding="utf-8") as report:
            closing = [CLOSING.match(line.strip()) for line in report]
        closing = [match for match in closing if match]
        if not closing:
            failed += 1
            continue
        passed += int(closing[-1].group(1))
        failed += int(closing[-1].group(2))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def checks(log_path, *prefixes):
    """The checks a log holds (lines ``<prefix>: ok`` or ``<prefix>: failed: ...``), each a test of its own."""
    with open(log_path, encoding="utf-8", errors="replace") as log:
        lines = log.read().splitlines()
    passed = failed = 0
    for prefix in prefixes:
        found = [line for line in lines if line.startswith(f"{prefix}: ")]
        if found and found[-1] == f"{prefix}: ok":
            passed += 1
        else:
            failed += 1
            print(f"FAILED CHECK: {found[-1] if found else prefix + ' did not run'}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1] == "--checks":
        sys.exit(checks(*sys.argv[2:]))
    if sys.argv[1] == "--total":
        sys.exit(total(sys.argv[2:]))
    sys.exit(main(*sys.argv[1:5]))
