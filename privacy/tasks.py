"""Data protection's Celery tasks (thin wrappers over services), one module per section; imported
here so Celery's autodiscovery finds them."""

from privacy.audit_tasks import *  # noqa: F403
from privacy.retention_tasks import *  # noqa: F403
from privacy.sar_tasks import *  # noqa: F403
