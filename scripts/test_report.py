"""Read an Odoo test log and print the closing line "N passed, M failed".

Failures are the failed and erroring tests Odoo reports, plus one for each of: an install that did
not finish, an uninstall that leaves something behind (with the "uninstall" check), skipped tests
(a skipped test is a defect here), warnings logged by the addon outside its tests, and an Odoo exit
status that is not 0 while no test failed.
"""
import re
import sys

REPORT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
SKIPPED = re.compile(r"INFO \S+ odoo\.addons\.quickbooks_connector\.\S+: skipped ")
ADDON_WARNING = re.compile(r" WARNING \S+ odoo\.addons\.quickbooks_connector[.:]")


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
    if "uninstall" in checks:
        uninstall = [line for line in lines if line.startswith("UNINSTALL CHECK: ")]
        if uninstall and uninstall[-1] == "UNINSTALL CHECK: ok":
            total += 1  # the uninstall check is a test of its own
        else:
            problems.append(uninstall[-1] if uninstall else "the uninstall check did not run")
    if int(odoo_status) != 0 and not (failed or errors):
        problems.append(f"Odoo exited with status {odoo_status}")
    for problem in problems:
        print(f"FAILED CHECK: {problem}")
    bad = failed + errors + len(problems)
    passed = max(total - failed - errors - len(skipped), 0)
    print(f"Database {db_name}: {total} tests run, {failed} failed, {errors} errors, {len(skipped)} skipped.")
    print(f"{passed} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
