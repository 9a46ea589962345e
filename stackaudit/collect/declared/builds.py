"""What build of CloudStack a management server runs: its cloudstack-management package and the sha256
of each file of its code (MS-BUILD-IDENTICAL)."""
from __future__ import annotations

from stackaudit.collect.readings import Command, Fact
from stackaudit.parsers.builds import CODE_ROOT, ManagementBuild, parse_package_build, parse_sha256sum

# The package's version-release by the server's own package manager; dpkg-query and rpm exit 1 when
# the package is not installed (printing nothing, or "package ... is not installed").
PACKAGE_COMMAND = r"""if command -v dpkg-query >/dev/null 2>&1; then
  printf 'dpkg\t'; dpkg-query -W -f='${Status}\t${Version}\n' cloudstack-management
else
  printf 'rpm\t'; rpm -q --qf '%{VERSION}-%{RELEASE}\n' cloudstack-management
fi"""
# The code the server loads: the packaged lib/ (the unit's CLASSPATH since embedded Jetty), else a
# Tomcat war drop (client.war, or the unpacked client/WEB-INF/lib). A file sha256sum cannot read
# stops the command: broken, never a shorter list.
CODE_FILES = (f"{CODE_ROOT}/lib/*", f"{CODE_ROOT}/webapps/client.war", f"{CODE_ROOT}/webapps/client/WEB-INF/lib/*")
DIGEST_COMMAND = (f"for path in {' '.join(CODE_FILES)}; do\n"
                  '  if [ -f "$path" ]; then sha256sum -- "$path" || exit 2; fi\n'
                  "done")


def management_build(facts) -> ManagementBuild:
    return ManagementBuild(parse_package_build(facts.section("management_package")),
                           parse_sha256sum(facts.section("management_code_digests")))


FACTS = [
    Fact("management_build", ("mgmt",),
         (Command("management_package", PACKAGE_COMMAND, ok_exit_codes=(0, 1)),
          Command("management_code_digests", DIGEST_COMMAND)),
         management_build),
]
