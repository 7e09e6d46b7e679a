"""Import every domain's models so the metadata is complete (for Alembic and schema checks)."""

from minsheng.audit import models as audit_models
from minsheng.auth import models as auth_models
from minsheng.cases import models as cases_models
from minsheng.channels import models as channels_models
from minsheng.core.database import Base
from minsheng.events import models as events_models
from minsheng.items import models as items_models
from minsheng.jobs import models as jobs_models
from minsheng.open311 import models as open311_models
from minsheng.org import models as org_models
from minsheng.plans import models as plans_models
from minsheng.sources import models as sources_models
from minsheng.warning import models as warning_models

__all__ = [
    "Base",
    "audit_models",
    "auth_models",
    "cases_models",
    "channels_models",
    "events_models",
    "items_models",
    "jobs_models",
    "open311_models",
    "org_models",
    "plans_models",
    "sources_models",
    "warning_models",
]
