"""Bad input rows (test_config_bad_input.py): cloud.api from the operator's files (docs/credentials.md),
each file named explicitly so that the home directory of whoever runs the tests plays no part."""
from __future__ import annotations

from typing import Callable

from tests.unit.config_breakage import Case, Site, chmod, inventory, write

CS_INI = ("[lab]\nendpoint = https://198.18.0.1:8080/client/api\nkey = Zm9vYmFyLXBsYW50ZWQtYXBpLWtleQ\n"
          "secret = planted-api-secret-77ab\n")
CMK = ("verifycert = true\n\n[lab]\nurl = https://198.18.0.1:8080/client/api\napikey = Zm9vYmFyLXBsYW50ZWQtYXBpLWtleQ\n"
       "secretkey = planted-api-secret-77ab\n")
CS_API = {"cloudstack_ini": "lab", "cloudstack_ini_file": "cs.ini"}
CMK_API = {"cmk_profile": "lab", "cmk_config_file": "cmk.config"}


def given(api: dict, relative: str, text: str, *more: Callable[[Site], None]) -> Callable[[Site], None]:
    """cloud.api set to `api`, the file `relative` holding `text` (mode 0600), then `more` changes."""
    def change(site: Site) -> None:
        for step in (inventory("cloud.api", api), write(relative, text), *more):
            step(site)
    return change


OPERATOR_FILES = [
    Case("cs-ini-readable-by-others", given(CS_API, "cs.ini", CS_INI, chmod("cs.ini", 0o644)),
         "cloud.api.cloudstack_ini: {dir}/cs.ini is open to group or others (mode 0644); run chmod 600 {dir}/cs.ini",
         True),
    Case("cs-ini-no-region", given(CS_API, "cs.ini", CS_INI.replace("[lab]", "[prod]")),
         "cloud.api.cloudstack_ini: {dir}/cs.ini has no section [lab] (its sections: 'prod'); add the region's "
         "section with endpoint, key and secret, or name one of those", True),
    Case("cs-ini-no-key", given(CS_API, "cs.ini", CS_INI.replace("key = Zm9v", "theme = Zm9v")),
         "cloud.api.cloudstack_ini: {dir}/cs.ini [lab] key: missing; add `key = ...` to the section, or export "
         "CLOUDSTACK_KEY"),
    Case("cs-ini-http", given(CS_API, "cs.ini", CS_INI.replace("https:", "http:")),
         "cloud.api.cloudstack_ini: {dir}/cs.ini [lab] endpoint: 'http://198.18.0.1:8080/client/api' is not TLS"),
    Case("cs-ini-not-ini", given(CS_API, "cs.ini", "planted-api-secret-77ab\n" + CS_INI),
         "cloud.api.cloudstack_ini: {dir}/cs.ini: line 1 comes before any [section], so the cs client cannot read "
         "it either; fix that line"),
    Case("cs-ini-missing-file", inventory("cloud.api", CS_API),
         "cloud.api.cloudstack_ini: no cs configuration file; tried {dir}/cs.ini"),
    Case("cmk-readable-by-others", given(CMK_API, "cmk.config", CMK, chmod("cmk.config", 0o604)),
         "cloud.api.cmk_profile: {dir}/cmk.config is open to group or others (mode 0604); run chmod 600"),
    Case("cmk-no-profile", given(CMK_API, "cmk.config", CMK.replace("[lab]", "[localcloud]")),
         "cloud.api.cmk_profile: {dir}/cmk.config has no profile [lab] (its profiles: 'localcloud'); add it with "
         "url, apikey and secretkey, or name one of those", True),
    Case("cmk-no-secretkey", given(CMK_API, "cmk.config", CMK.replace("secretkey", "password")),
         "cloud.api.cmk_profile: {dir}/cmk.config [lab]: no secretkey (cmk then logs in with username and password, "
         "which StackAudit does not); add `secretkey = ...` to the profile"),
    Case("cmk-verifycert-missing", given(CMK_API, "cmk.config", CMK.replace("verifycert = true\n", "")),
         "cloud.api.cmk_profile: {dir}/cmk.config: a missing verifycert (cmk reads it as false) turns off the API's "
         "TLS certificate check"),
    Case("api-two-forms", inventory("cloud.api", {**CS_API, **CMK_API}),
         "cloud.api.cmk_profile: given with cloudstack_ini; the API's key comes from one place: keep one of the two"),
    Case("api-form-and-key", inventory("cloud.api", {**CMK_API, "secret_file": "keys/api.secret"}),
         "cloud.api.secret_file: given with cmk_profile, which names the endpoint, key and secret; remove "
         "secret_file, or remove cmk_profile to give them in the inventory", True),
]
