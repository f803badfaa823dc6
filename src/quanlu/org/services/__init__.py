"""Writes to organisations and people; each atomic, validated and with its ledger event.
One module per subject; every service is importable from here."""

from quanlu.org.services.accounts import (
    account_unlock,
    api_token_create,
    api_token_revoke,
    api_token_touch,
    lock_in_force,
    login_failure_record,
    officer_password_change,
    officer_password_reset,
    token_digest,
)
from quanlu.org.services.agencies import (
    CASE_NUMBER_PATTERN,
    agency_create,
    agency_move,
    agency_settings_current,
    agency_settings_set,
    clean_password,
    officer_create,
    officer_deactivate,
    region_create,
    role_grant,
    role_revoke,
)
from quanlu.org.services.bulk import ImportReport, RowError, org_import
from quanlu.org.services.certificates import (
    certificate_current,
    certificate_history_complete,
    certificate_record,
    certificate_set_status,
    certificate_taken,
)

__all__ = [
    "CASE_NUMBER_PATTERN",
    "ImportReport",
    "RowError",
    "account_unlock",
    "agency_create",
    "agency_move",
    "agency_settings_current",
    "agency_settings_set",
    "api_token_create",
    "api_token_revoke",
    "api_token_touch",
    "certificate_current",
    "certificate_history_complete",
    "certificate_record",
    "certificate_set_status",
    "certificate_taken",
    "clean_password",
    "lock_in_force",
    "login_failure_record",
    "officer_create",
    "officer_deactivate",
    "officer_password_change",
    "officer_password_reset",
    "org_import",
    "region_create",
    "role_grant",
    "role_revoke",
    "token_digest",
]
