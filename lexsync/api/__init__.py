"""LeadExec API client layer: ASMX reads, REST or SOAP writes, retries, redaction."""

from lexsync.api.client import LeadExecApi
from lexsync.api.settings import ApiSettings, SettingsError

__all__ = ["ApiSettings", "LeadExecApi", "SettingsError"]
